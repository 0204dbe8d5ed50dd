"""Training engine and method trainers (installed as ``actionkit.trainers``)."""
