"""The app keeps its OpenAPI contract: schemathesis sends every operation of ``/api/openapi.json`` requests
generated from the spec, in-process (WSGI), as every role and as nobody, and checks each answer:

- never a 5xx (``not_a_server_error``);
- the answer's body matches the schema of its status (``response_schema_conformance``);
- its status is one the operation lists (``status_code_conformance``);
- its content type is one the operation lists (``content_type_conformance``).

Examples are few per operation (``RELIEF_OPENAPI_EXAMPLES``, default 15) and deterministic
(``derandomize``), so CI fails the same way every time; a deeper run raises the number. Which role
sends a request is drawn along with the request, so each operation is tried with and without
its permission. Runs on the suite's store, against the small world of ``tests/web/test_fuzz.py``.

Nothing is left out: operations whose generated requests cannot reach the code behind them
(a photo or an issued report that the random ids never name) still get their refusals checked.
"""
from __future__ import annotations

import os
import shutil
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from relief.domain.roles import ROLES
from relief.services.accounts import forget_cached_tokens
from tests.conftest import PG_URL, _truncate_all
from tests.web.test_fuzz import PATH_VALUES, _build

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("RELIEF_OPENAPI_EXAMPLES") or 15)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
RUN = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
               suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def contract(migrated_template, tmp_path_factory):
    """The fuzzing world (``tests/web/test_fuzz.py``) with one API token per role."""
    from relief.cli.app import cli_context
    from relief.services.accounts import create_user

    folder = tmp_path_factory.mktemp("openapi")
    if PG_URL:
        _truncate_all(migrated_template)
        url = migrated_template
    else:
        shutil.copy(migrated_template, folder / "relief.db")
        url = f"sqlite:///{folder / 'relief.db'}"
    forget_cached_tokens()
    setup = _build(url, str(folder / "instance"))
    tokens = {role: create_user(cli_context(setup.app), f"contract-{role}", role, password=f"pw-{role}").token
              for role in ROLES}
    yield setup.app, tokens, setup.store, setup.bases
    setup.store.dispose()
    if PG_URL:
        _truncate_all(migrated_template)
    forget_cached_tokens()


def _headers(tokens: dict[str, str], role: str | None) -> dict[str, str]:
    """The caller's token; ``identity``: the WSGI client hands back bodies as sent, and a gzip one is no JSON."""
    headers = {"Accept-Encoding": "identity"}
    if role:
        headers["Authorization"] = f"Bearer {tokens[role]}"
    return headers


def _restore_callers(store, tokens: dict[str, str]) -> None:
    """The user routes may deactivate, re-role or revoke the callers themselves: put them back as they were."""
    from sqlalchemy import select, update

    from relief.store.tables import ApiToken, User

    with store.write() as session:
        for role in ROLES:
            session.execute(update(User).where(User.name == f"contract-{role}").values(active=True, role=role))
        contract_users = list(session.scalars(select(User.id).where(User.name.like("contract-%"))))
        session.execute(update(ApiToken).where(ApiToken.user_id.in_(contract_users)).values(revoked_at=None))
    forget_cached_tokens()


def _requests(operation, bases: dict[str, list[dict]]):
    """Requests the spec allows (anywhere: mostly ids naming nothing), the same on the world's records (its
    ids in the path, a valid body where ``tests/web/test_fuzz.py`` knows one), and requests it forbids."""
    known = {p.name: PATH_VALUES[p.name] for p in operation.path_parameters if p.name in PATH_VALUES}
    endpoint = operation.definition.raw.get("operationId", "")
    if endpoint.endswith((".get", ".post")):
        endpoint = endpoint.rsplit(".", 1)[0]
    choices = [operation.as_strategy(GenerationMode.POSITIVE),
               operation.as_strategy(GenerationMode.NEGATIVE)]
    if known and len(known) == len(operation.path_parameters):
        choices.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    for base in bases.get(endpoint, []):
        choices.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known or None, body=base,
                                             media_type="application/json"))
    return st.one_of(choices)


def _exercise(operation, bases, tokens, store, failures: dict[str, list[str]], statuses: Counter) -> None:
    """Send one operation its examples, each as a caller drawn from every role and nobody; note what breaks."""
    found = failures.setdefault(operation.label, [])

    @RUN
    @given(case=_requests(operation, bases), role=st.sampled_from([None, *ROLES]))
    def run(case, role):
        response = None
        try:
            if case.headers:  # schemathesis fills the security schemes with made-up tokens: the caller is ours
                case.headers.pop("Authorization", None)
            if case.cookies:
                case.cookies.pop("session", None)
            response = case.call(headers=_headers(tokens, role))
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis's FailureGroup: keep the first few
            if len(found) < 3:
                found.append(f"as {role or 'anonymous'}: {case.method} {case.formatted_path} "
                             f"query={case.query} body={str(case.body)[:200]!r} → "
                             f"{response.status_code if response is not None else 'no answer'}: "
                             f"{str(error)[:600]}")
        if case.path.startswith(("/api/users", "/api/tokens")):
            _restore_callers(store, tokens)

    run()
    if not found:
        del failures[operation.label]


def test_every_operation_keeps_the_contract(contract):
    app, tokens, store, bases = contract
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: dict[str, list[str]] = {}
    statuses: Counter[int] = Counter()
    operations = 0
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operations += 1
        _exercise(result.ok(), bases, tokens, store, failures, statuses)
    elapsed = time.perf_counter() - started
    print(f"schemathesis: {operations} operations × {EXAMPLES} examples in {elapsed:.1f} s; answers by status: "
          f"{dict(sorted(statuses.items()))}")
    assert operations >= 100, f"only {operations} operations in the spec"
    assert not failures, f"{len(failures)} operations break the contract:\n\n" + "\n\n".join(
        f"{label}:\n  " + "\n  ".join(found) for label, found in sorted(failures.items()))
