"""A fictional company to run salespipe against, with the answers known.

world/ the company's true facts (generated, seeded); systems/ its 1C, amoCRM, WooCommerce and Metrica as
API records and loopback simulators; truth/ the numbers the marts must show; verify/ the comparison of a
serving file with them; landscape.py starts the systems for the demo and the tests, serve.py as a process.
"""
