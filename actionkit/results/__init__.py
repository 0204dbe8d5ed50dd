"""What evaluations leave behind for people and other code: per-sample scores, accuracy figures, fusion.

- :mod:`~actionkit.results.scores`: the per-sample scores ``.npz`` (``docs/scores.md``);
- :mod:`~actionkit.results.metrics`: top-k, mean-class and per-class accuracy, confusion;
- :mod:`~actionkit.results.fusion`: weighted fusion of several evaluations matched by sample name;
- :mod:`~actionkit.results.figures`: training curves and confusion matrices (matplotlib);
- :mod:`~actionkit.results.skeleton_view`: skeleton samples drawn as GIF / MP4 / PNG strips.
"""

from actionkit.results.fusion import RECIPES, fuse, get_recipe
from actionkit.results.metrics import mean_class_accuracy, per_class_accuracy, summarize, topk_accuracy
from actionkit.results.scores import Scores, find_scores, load_scores, save_scores, scores_path

__all__ = ["RECIPES", "Scores", "find_scores", "fuse", "get_recipe", "load_scores", "mean_class_accuracy",
           "per_class_accuracy", "save_scores", "scores_path", "summarize", "topk_accuracy"]
