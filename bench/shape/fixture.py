"""Data for the deployment-shape benchmark: the intake benchmark's fixture (provinces, their
service centres with an API key each, one logged-in clerk per client) and, for every
agency, a webhook to the benchmark's receiver, which counts each delivery by its id.

Run by run.py as: python bench/shape/fixture.py <clients> <agencies> <webhook url>
Prints JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.intake import fixture  # noqa: E402  (sets Django up)
from postgov.agencies.models import Agency  # noqa: E402
from postgov.exchange.integration import create_webhook  # noqa: E402


def main(clients: int, agencies: int, url: str) -> dict:
    data = fixture.main(clients, agencies)
    data["webhooks"] = [create_webhook(agency, url)[0].pk for agency in Agency.objects.all()]
    return data


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])))
