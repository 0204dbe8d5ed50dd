"""Numba kernels: parsing, body selection and denoising, streams, resampling, normalisation."""
