"""Errors of the command line are in Chinese with the English code of the problem (cli.md), also the
usage errors that the argument parser finds itself (issue 12, defect 9)."""

from __future__ import annotations

import re

import pytest

from getpower import cli


@pytest.mark.parametrize("args, code, words", [
    (["ledger", "F2"], "missing_option", ["缺少选项 '--period'", "用法：getpower ledger"]),
    (["import", "assets"], "missing_argument", ["缺少参数 'file'"]),
    (["nosuch"], "no_such_command", ["没有命令“nosuch”"]),
    (["workdays", "2025-01-01", "2025-02-01", "--regio", "530102"], "no_such_option",
     ["没有选项 --regio", "--region"]),
    (["workdays", "2025-01-01", "2025-02-01", "3"], "extra_arguments", ["多余的参数：3"]),
    (["ledger", "F2", "--period"], "missing_value", ["选项 --period 需要一个值"]),
])
def test_usage_errors_are_chinese_with_a_code(db, capsys, args, code, words):
    assert cli.invoke(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"错误 [{code}]："), err
    for word in words:
        assert word in err
    assert not re.search(r"\b(Missing|No such|Got unexpected|Error)\b", err), err


def test_a_bad_number_is_reported_in_chinese(db, capsys):
    assert cli.invoke(["serve", "--port", "abc"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误 [bad_parameter]：'--port' 的值无效：应为整数"), err


def test_the_commands_own_errors_and_successes_keep_their_status(db, capsys):
    assert cli.invoke(["ledger", "F2", "--period", "2025-13", "--company", "X"]) == 2
    assert "错误 [bad_period]" in capsys.readouterr().err
    assert cli.invoke(["workdays", "2025-01-06", "2025-01-08"]) == 0
    assert capsys.readouterr().out.strip() == "2"
