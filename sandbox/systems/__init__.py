"""The company's systems as salespipe meets them: one package per source (`SYSTEM` in each, see
base.py), the loopback server and request handling they share (loopback.py) and switchable faults."""
