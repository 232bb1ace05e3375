"""Filing types name their producer by its registered code (filings/producers.py), not by a dotted path
into a domain's module: the filing centre imports no domain."""

from django.db import migrations

CODES = {
    "getpower.connections.f1:produce": "F1",
    "getpower.arrears.f2:produce": "F2",
    "getpower.outages.f3:produce": "F3",
}


def to_codes(apps, schema_editor):
    FilingType = apps.get_model("filings", "FilingType")
    for path, code in CODES.items():
        FilingType.objects.filter(producer=path).update(producer=code)


def to_paths(apps, schema_editor):
    FilingType = apps.get_model("filings", "FilingType")
    for path, code in CODES.items():
        FilingType.objects.filter(producer=code).update(producer=path)


class Migration(migrations.Migration):

    dependencies = [
        ("filings", "0003_notification_kinds"),
    ]

    operations = [
        migrations.RunPython(to_codes, to_paths),
    ]
