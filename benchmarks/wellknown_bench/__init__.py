# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet benchmark of matrix.wellknown: run by benchmarks/run.py, described in docs/performance.md.

inventory  the generated inventories, the throwaway certificate, the check that variants wrote the same files
variants   which playbook each variant runs, and the order of the runs (a flat list of steps)
runner     one ansible-playbook run, measured (sampler: its memory; sshd: the optional SSH server)
stats      medians, ratios and targets
report     results.md and plot.png
main       the command line
"""
