"""What a process needs beside its diagram: agency kinds, forms, deadlines, script functions and services.

Plain Python only: no Flask, no database, no SpiffWorkflow.
"""
