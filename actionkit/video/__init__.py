"""Video frames: decoding, resizing and image coding, TV-L1 optical flow and RGB difference.

Modules: ``decode`` (frame-accurate video decoding, decord with a PyAV fallback),
``images`` (short-side resizing, JPEG/PNG coding), ``flow`` (TV-L1 behind a small
interface, the field's quantisation), ``rgbdiff`` (RGB difference).
"""
