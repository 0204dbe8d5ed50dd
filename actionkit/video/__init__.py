"""Video frames: resizing, TV-L1 optical flow, RGB difference and contact sheets.

Modules: ``images`` (short-side resizing, RGB to grey), ``flow`` (TV-L1 behind a small
interface, the field's quantisation), ``rgbdiff`` (RGB difference), ``sheet`` (contact
sheets of a store's frames). Decoding and image coding live below the store, in
:mod:`actionkit.codecs`. Needs OpenCV (the ``video`` extra).
"""

from actionkit.extras import require

require("cv2", "video")  # before any submodule imports it: a missing OpenCV is one line naming the extra
