"""Imports every ledger declaration so that the registry knows them all."""

from getpower.arrears import ledger as _arrears_ledger  # noqa: F401
from getpower.connections import ledger as _connections_ledger  # noqa: F401
from getpower.core import ledger as _core_ledger  # noqa: F401
from getpower.grid import ledger as _grid_ledger  # noqa: F401
from getpower.outages import ledger as _outages_ledger  # noqa: F401
