"""The harness: everything that trains, evaluates and predicts any port, and knows none by
name.

A port is ``training.ports.ModelSpec``; ``training.command.main(spec)`` is its command line.
This ``__init__`` imports nothing, so that importing a post (which needs ``ports``) never
loads the training loop.
"""
