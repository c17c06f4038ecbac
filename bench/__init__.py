"""``make bench``: how fast the mock is, measured against baselines in one run.

Run with ``make bench`` (or ``.venv/bin/python -m bench``). Every figure is taken on this
machine in this run, and the targets are ratios against baselines measured beside them:
a bare Flask app on the same server, and Stoplight Prism on the same spec and request.
The results go to ``bench/results.md``, compared with the previous file when there is one.
"""
