"""Developer tools that drive the container image on a real Docker daemon (`make image-test`, start-up figures)."""
