"""The demo: the Inner Mongolia 2014 registry (``seed.py``), its accounts and the demo campaign, with their
commands (``seed_demo``, ``demo_logins``, ``demo_campaign``). The top of the layer order: it may use every
domain app; no runtime app imports it (only tests and the bench do). See docs/adr/0012."""
