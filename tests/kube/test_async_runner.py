"""``running()``: the API inside the caller's own event loop (as the demo uses it)."""

import aiohttp

from cloudnet_devkit.kubeapi import TestKubeAPI, running


async def test_running_in_the_current_loop(tmp_path):
    api = TestKubeAPI(strict_namespaces=False)
    async with running(api) as server, aiohttp.ClientSession(server.url) as http:
        async with http.post(
            "/api/v1/namespaces/anywhere/configmaps", json={"metadata": {"name": "cm"}}
        ) as response:
            assert response.status == 201
        async with http.get("/api/v1/namespaces") as response:
            body = await response.json()
        assert {"default", "kube-system"} <= {i["metadata"]["name"] for i in body["items"]}
        assert api.get_object("configmaps", "anywhere", "cm") is not None
        assert server.write_kubeconfig(tmp_path / "kc").read_text().count(server.url) == 1
