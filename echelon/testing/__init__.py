"""Support for the tests (fixtures and helpers), never imported by runtime code. See docs/adr/0012."""
