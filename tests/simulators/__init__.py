"""Local HTTP simulators of the services dirsync-bridge talks to (design.md section 7).

Each one is a real server on 127.0.0.1 driven by the same client library production uses.
"""
