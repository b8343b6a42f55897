"""Fires an event through a client generated from openapi/openapi.json.

Run by scripts/contract-check with the generated package `tocsin_api_client` on
PYTHONPATH, TOCSIN_URL pointing at a fresh server and TOCSIN_ADMIN_PASSWORD set
to its first admin's password. It uses nothing but the generated client (no
hand-made requests), so it fails when the document and the server disagree: a
missing operation, a body the server refuses, an answer the models cannot read.
Exits 0 when the whole flow worked, 1 with the step that failed otherwise.
"""

import os
import sys
import time

import httpx
from tocsin_api_client import AuthenticatedClient, Client
from tocsin_api_client.api.contacts import create_contact, list_contacts
from tocsin_api_client.api.destinations import create_destination
from tocsin_api_client.api.events import create_event
from tocsin_api_client.api.firing import fire_event
from tocsin_api_client.api.notifications import acknowledge_notification, get_notification
from tocsin_api_client.api.session import create_session
from tocsin_api_client.models import (
    Contact,
    Destination,
    DryRunResponse,
    ErrorBody,
    Event,
    EventTargets,
    EventTemplates,
    FireRequest,
    FireRequestArgs,
    FireResponse,
    LoginRequest,
    NewContact,
    NewDestination,
    NewDestinationSettings,
    NewEvent,
    Notification,
    PageContact,
    Session,
)

DELIVERY_TIMEOUT_S = 60
POLL_INTERVAL_S = 0.2
FINAL = {"delivered", "failed", "expired", "cancelled"}


class CheckFailed(Exception):
    pass


def expect(step, response, status, model, quiet=False):
    """The parsed answer of `step`, which must have `status` and decode as `model`."""
    if response.status_code != status or not isinstance(response.parsed, model):
        raise CheckFailed(
            f"{step}: expected {status} {model.__name__}, got {int(response.status_code)} "
            f"{type(response.parsed).__name__}: {response.content[:300]!r}"
        )
    if not quiet:
        print(f"ok   {step}")
    return response.parsed


def check(step, condition, detail):
    if not condition:
        raise CheckFailed(f"{step}: {detail}")


def fire_args():
    args = FireRequestArgs()
    args["host"] = "db1"
    args["mount"] = "/var"
    args["percent"] = 97
    return args


def run(url, password):
    timeout = httpx.Timeout(10.0)
    anonymous = Client(base_url=url, timeout=timeout)
    session = expect(
        "log in as admin",
        create_session.sync_detailed(client=anonymous, body=LoginRequest(username="admin", password=password)),
        200,
        Session,
    )
    wrong = create_session.sync_detailed(client=anonymous, body=LoginRequest(username="admin", password="x" * 12))
    expect("a wrong password is refused with the error body", wrong, 401, ErrorBody)

    client = AuthenticatedClient(base_url=url, token=session.token, timeout=timeout)

    expect(
        "create contact me",
        create_contact.sync_detailed(client=client, body=NewContact(slug="me", name="Me")),
        201,
        Contact,
    )
    settings = NewDestinationSettings()
    settings["operator"] = "admin"
    destination = expect(
        "add an inbox destination on the admin's account",
        create_destination.sync_detailed("me", client=client, body=NewDestination(medium="inbox", settings=settings)),
        201,
        Destination,
    )
    check("inbox destination", destination.address == "admin", f"address is {destination.address!r}")
    page = expect("list contacts", list_contacts.sync_detailed(client=client, q="me"), 200, PageContact)
    check("list contacts", page.total == 1 and isinstance(page.items[0], Contact), f"{page.to_dict()}")

    event = NewEvent(
        slug="disk-full",
        name="Disk full",
        targets=EventTargets(contacts=["me"]),
        templates=EventTemplates(
            subject="Disk full on {{ host }}", body="{{ host }}: {{ mount }} is {{ percent }}% full"
        ),
    )
    expect("create event disk-full", create_event.sync_detailed(client=client, body=event), 201, Event)

    plan = expect(
        "dry run",
        fire_event.sync_detailed("disk-full", client=client, body=FireRequest(args=fire_args()), dry_run=True),
        200,
        DryRunResponse,
    )
    check("dry run", plan.rendered.subject == "Disk full on db1", f"subject is {plan.rendered.subject!r}")
    check("dry run", [r.address for r in plan.recipients] == ["admin"], f"recipients {plan.to_dict()['recipients']}")

    fired = expect(
        "fire disk-full",
        fire_event.sync_detailed(
            "disk-full",
            client=client,
            body=FireRequest(args=fire_args(), dedup_key="db1:/var"),
            idempotency_key="contract-1",
        ),
        201,
        FireResponse,
    )
    check("fire disk-full", fired.deliveries == 1 and not fired.attached, f"{fired.to_dict()}")
    again = expect(
        "fire again with the same dedup key attaches",
        fire_event.sync_detailed("disk-full", client=client, body=FireRequest(args=fire_args(), dedup_key="db1:/var")),
        200,
        FireResponse,
    )
    check("attach", again.attached and again.notification_id == fired.notification_id, f"{again.to_dict()}")

    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while True:
        response = get_notification.sync_detailed(fired.notification_id, client=client)
        notification = expect("read the notification", response, 200, Notification, quiet=True)
        statuses = [d.status for d in notification.deliveries]
        if statuses and all(s in FINAL for s in statuses):
            break
        if time.monotonic() > deadline:
            raise CheckFailed(f"delivery: not final after {DELIVERY_TIMEOUT_S}s, statuses {statuses}")
        time.sleep(POLL_INTERVAL_S)
    check("delivery", statuses == ["delivered"], f"statuses {statuses}, {notification.deliveries[0].last_error!r}")
    kinds = [entry.kind for entry in notification.deliveries[0].timeline]
    check("delivery timeline", kinds[0] == "queued" and kinds[-1] == "delivered", f"timeline {kinds}")
    print("ok   the delivery is delivered")

    acked = expect(
        "acknowledge", acknowledge_notification.sync_detailed(fired.notification_id, client=client), 200, Notification
    )
    check("acknowledge", acked.state == "acknowledged", f"state is {acked.state!r}")
    check("acknowledge", acked.acknowledged_by == "operator:admin", f"acknowledged by {acked.acknowledged_by!r}")

    missing = get_notification.sync_detailed("0" * 32, client=client)
    error = expect("an unknown notification is 404 with the error body", missing, 404, ErrorBody)
    check("error body", error.error == "not_found", f"error is {error.error!r}")


def main():
    url = os.environ["TOCSIN_URL"]
    password = os.environ["TOCSIN_ADMIN_PASSWORD"]
    try:
        run(url, password)
    except CheckFailed as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    except httpx.HTTPError as failure:
        print(f"FAIL request to {url}: {failure!r}", file=sys.stderr)
        return 1
    print("the generated client fired, delivered and acknowledged an event")
    return 0


if __name__ == "__main__":
    sys.exit(main())
