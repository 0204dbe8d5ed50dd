"""Training engine and method trainers (installed as ``actionkit.trainers``)."""

from actionkit.extras import require

require("torch", "train")  # before any trainer module imports it: a missing torch is one line naming the extra
