"""An HTTP client for API tests that acts as one demo user through a real API token."""

from engine.tokens import create_token


class ApiClient:
    def __init__(self, client, username: str | None):
        self.client = client
        self.headers = {}
        if username:
            token = create_token(username=username, name=f"tests:{username}").token
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)

    def delete(self, path, **kwargs):
        return self.client.delete(f"/api/v1{path}", headers=self.headers, **kwargs)


def as_user(app, username: str | None) -> ApiClient:
    return ApiClient(app.test_client(), username)


def work(app, task_id: int, username: str, data: dict) -> dict:
    """Claim and complete a task over HTTP as `username`; return the case JSON."""
    client = as_user(app, username)
    assert client.post(f"/tasks/{task_id}/claim").status_code == 200
    response = client.post(f"/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()
    return response.get_json()
