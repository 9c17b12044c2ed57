"""The sandbox company's true facts, with no API shapes: its people, catalog, 1C documents, CRM, web shop
and visits as a seeded model (company.py generates it). The systems' records (systems/) and the truth
(truth/) are built from it beside this package; nothing here imports them."""
