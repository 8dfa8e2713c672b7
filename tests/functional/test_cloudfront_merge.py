# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The serving guide's jq program, run by the real jq, merges the CloudFront file the role writes into a
distribution that botocore's CloudFront API model accepts, and a second merge replaces instead of adding.

jq is what the guide tells users to run: make system-deps installs it, and a missing jq fails the test.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess

from ansible_collections.matrix.wellknown.plugins.plugin_utils._cloudfront import distribution_fragment

from cloudfront_model import CURRENT, NAMES, SETTINGS, validate
from helpers import REPO, program

DOCS = REPO / 'docs' / 'docsite' / 'rst' / 'guide_serving.rst'


def _documented_merge_filter():
    """The jq program of the merge step in the serving guide (a code block: every line indented by 3 spaces)."""
    with open(DOCS) as handle:
        text = handle.read()
    match = re.search(r"jq --slurpfile matrix \S+ '\n(.*?)\n   ' ", text, re.S)
    assert match, 'the serving guide has no jq merge command'
    return '\n'.join(line[3:] for line in match.group(1).split('\n'))


def test_documented_merge_gives_a_valid_update(tmp_path):
    fragment = distribution_fragment(SETTINGS, NAMES)
    (tmp_path / 'matrix-wellknown-cloudfront.json').write_text(json.dumps(fragment))
    jq = program('jq')
    merge_filter = _documented_merge_filter()

    def merge(current):
        (tmp_path / 'current.json').write_text(json.dumps(current))
        output = subprocess.run([jq, '--slurpfile', 'matrix', str(tmp_path / 'matrix-wellknown-cloudfront.json'), merge_filter,
                                 str(tmp_path / 'current.json')], check=True, capture_output=True, text=True).stdout
        return json.loads(output)

    merged = merge(CURRENT)
    assert validate('UpdateDistribution', {'Id': 'EDFDVBD6EXAMPLE', 'IfMatch': CURRENT['ETag'], 'DistributionConfig': merged}) == ''
    assert [origin['Id'] for origin in merged['Origins']['Items']] == ['website', 'matrix-wellknown']
    assert merged['Origins']['Quantity'] == 2
    # Behaviours are matched in list order: the Matrix one comes first.
    assert [behavior['PathPattern'] for behavior in merged['CacheBehaviors']['Items']] == ['/.well-known/matrix/*', '/blog/*']
    assert merged['CacheBehaviors']['Quantity'] == 2
    assert merged['DefaultCacheBehavior'] == CURRENT['DistributionConfig']['DefaultCacheBehavior']
    # Merging again (after the next run of the role) replaces the Matrix origin and behaviour instead of adding copies.
    again = merge({'ETag': 'E3NEWETAG', 'DistributionConfig': merged})
    assert again == merged
    # A distribution without behaviours (Quantity 0, no Items) gets just the Matrix one.
    bare = copy.deepcopy(CURRENT)
    bare['DistributionConfig']['CacheBehaviors'] = {'Quantity': 0}
    merged = merge(bare)
    assert merged['CacheBehaviors'] == fragment['CacheBehaviors']
    assert validate('UpdateDistribution', {'Id': 'EDFDVBD6EXAMPLE', 'IfMatch': 'E2QWRUHEXAMPLE', 'DistributionConfig': merged}) == ''
