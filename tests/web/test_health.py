"""The health page an operator or a load balancer checks."""


def test_health_reports_the_database_and_counts(demo, app):
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "processes": 4, "running_cases": 0,
                                   "open_tasks": 0}


def test_home_page_speaks_chinese(demo, app):
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "共治" in response.get_data(as_text=True)
    assert "已部署流程" in response.get_data(as_text=True)


def test_health_answers_503_when_the_database_is_unreachable(tmp_path):
    from web.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
                     instance_path=str(tmp_path))
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert app.test_client().get("/").status_code == 503
