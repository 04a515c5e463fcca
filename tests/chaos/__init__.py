"""Chaos tests: the daemon against a failing receiver, a failing database and kill -9.

Everything is real: `monitor run` subprocesses, PostgreSQL (through a TCP
proxy that can be cut), HTTP receivers on 127.0.0.1. The scenarios live in
``scenarios.py`` so that ``benchmarks/chaos.py`` runs the same ones longer.
"""
