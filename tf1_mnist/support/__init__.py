"""Below everything else: flags (cli), console lines, errors, atomic writes, the quiet
TensorFlow import, plots, progress, preprocessing of users' images, mixed precision.

Nothing here imports the rest of tf1_mnist (a test reads the imports).
"""
