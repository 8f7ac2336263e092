"""Supervision pages, by topic (``urls.py`` names each view by its module). Every query is scoped; out of
scope is 404; writes go through ``services``."""
