"""The application layer: open a plan and its store, read the tracking data, and build the one
program assessment that every command, the reports and later the web app render.

It never prints and never exits: it returns records and diagnostics, and the front ends (the
``ontrack`` command, the HTML and status reports, a web app) decide how to show them.
"""
