"""The client's two ways in (a token renewed before it expires or after a revocation,
AK/SK signatures) and its paging iterators, against a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from openvias.client import AkSkAuth, Client, TokenAuth, ViasError
from openvias.schemas.events import EventRulesUpdate
from openvias.schemas.video_sources import VideoSourceCreate
from tests.api.identity_support import Tenant, cli_json, create_tenant
from tests.api.video_center import URL_CONFIG, unique
from tests.support import Server

BAD_SIGNATURE = "VIAS.00010005"


def source(name: str) -> VideoSourceCreate:
    config = URL_CONFIG.format(url="rtsp://127.0.0.1:8554/cam")
    return VideoSourceCreate(
        access_type="cloud", type="url", type_config=config, video_source_name=name
    )


@pytest.fixture(scope="module")
def keys(served: Server, tenant: Tenant) -> tuple[str, str]:
    printed = cli_json(served, "admin", "create-access-key", "--user", tenant.user)
    return printed["access"], printed["secret"]


def test_access_key_reads_and_writes(served: Server, tenant: Tenant, keys: tuple[str, str]) -> None:
    with Client.with_access_key(served.base_url, *keys, project=tenant.project) as client:
        assert isinstance(client.http.auth, AkSkAuth)
        assert client.project_id == tenant.project_id  # found by a signed project lookup
        name = unique("signed")
        source_id = client.create_video_source(source(name)).video_source_id
        assert client.show_video_source_detail(source_id).video_source_name == name
        # The same write twice in one second: the nonce makes the signatures differ.
        rules = EventRulesUpdate(aggregation_enabled=True, aggregation_minutes=5)
        assert client.update_event_rules(rules) == client.update_event_rules(rules)
        client.delete_video_source(source_id)
    given = Client.with_access_key(served.base_url, *keys, project_id=tenant.project_id)
    with given as client:
        assert [s.video_source_id for s in client.iter_video_sources(scope=name)] == []


def test_a_wrong_secret_is_the_servers_401(served: Server, keys: tuple[str, str]) -> None:
    with pytest.raises(ViasError) as caught:
        Client.with_access_key(served.base_url, keys[0], keys[1] + "x")
    assert (caught.value.status, caught.value.error_code) == (401, BAD_SIGNATURE)


def test_a_wrong_password_is_the_servers_401(served: Server, tenant: Tenant) -> None:
    with pytest.raises(ViasError) as caught:
        Client.with_password(served.base_url, tenant.user, "wrong", tenant.domain, tenant.project)
    assert caught.value.status == 401
    assert caught.value.error_code.startswith("VIAS.")


def test_the_token_is_renewed_before_it_expires_and_after_a_revocation(
    served: Server, tenant: Tenant
) -> None:
    with Client.with_password(
        served.base_url, tenant.user, tenant.password, tenant.domain, tenant.project
    ) as client:
        auth = client.http.auth
        assert isinstance(auth, TokenAuth)
        first = auth.token
        # given a token about to expire, when a call is made, then a new one is used
        auth.expires_at = datetime.now(UTC) + timedelta(minutes=1)
        client.list_video_sources()
        second = auth.token
        assert second != first
        assert auth.expires_at > datetime.now(UTC) + timedelta(hours=1)
        # given a revoked token, the call answered 401 logs in again and is retried
        revoked = httpx.delete(
            f"{served.base_url}/v3/auth/tokens",
            headers={"X-Auth-Token": second, "X-Subject-Token": second},
        )
        assert revoked.status_code == 204, revoked.text
        client.list_video_sources()
        assert auth.token not in {first, second}


def test_iterators_walk_every_page(served: Server) -> None:
    tenant = create_tenant(served)  # its own project: nothing else listed
    with Client.with_password(
        served.base_url, tenant.user, tenant.password, tenant.domain, tenant.project
    ) as client:
        created = {
            client.create_video_source(source(unique("p"))).video_source_id for _ in range(12)
        }
        for page_size in (5, 6):  # a short last page; an exact multiple, then an empty page
            walked = [s.video_source_id for s in client.iter_video_sources(page_size=page_size)]
            assert sorted(walked) == sorted(created)
        assert len(client.list_video_sources(is_paged=True, page_size=5).video_source_list) == 5
