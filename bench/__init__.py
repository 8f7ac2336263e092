"""The benchmarks (``make bench``, ``python -m bench``): every timing of the project, outside the runtime
package ``echelon``. Nothing here is a test and no timing is asserted. See docs/adr/0012."""
