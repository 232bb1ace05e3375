"""getpower — digital supervision platform for 获得电力 (Getting Electricity) in Yunnan."""

__version__ = "0.1.0"
