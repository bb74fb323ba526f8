"""The MLE course autograder: a hardened Docker sandbox that grades nbgrader notebooks.

Pure Python with no Django import, so that instructors can use it from the command line
(``python -m autograder``) and the portal can call it from Celery workers.
"""
