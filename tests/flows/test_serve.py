"""`tradewatch serve` and prefect.yaml describe the same two schedules; prefect.yaml is what Prefect reads."""

from __future__ import annotations

import pytest
import yaml
from prefect.client.schemas.schedules import CronSchedule

from flows.serve import NoSchedulerError, deployments, require_api
from tests.support.paths import ROOT

PREFECT_YAML = ROOT / "prefect.yaml"


@pytest.fixture(scope="module")
def from_yaml() -> dict[str, dict]:
    return {d["name"]: d for d in yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]}


@pytest.fixture(scope="module")
def served() -> dict[str, object]:
    return {d.name: d for d in deployments("/srv/tradewatch/tradewatch.toml")}


def test_serve_and_prefect_yaml_have_the_same_deployments(from_yaml, served):
    assert set(served) == set(from_yaml) == {"monitor", "digest"}


@pytest.mark.parametrize("name", ["monitor", "digest"])
def test_serve_runs_the_flow_prefect_yaml_deploys(from_yaml, served, name):
    path, func = from_yaml[name]["entrypoint"].split(":")
    assert served[name].entrypoint == path.removesuffix(".py").replace("/", ".") + "." + func
    assert served[name].flow_name == name


@pytest.mark.parametrize("name", ["monitor", "digest"])
def test_serve_schedules_match_prefect_yaml(from_yaml, served, name):
    (in_yaml,) = from_yaml[name]["schedules"]
    (in_serve,) = served[name].schedules
    assert in_serve.schedule == CronSchedule(cron=in_yaml["cron"], timezone=in_yaml["timezone"])
    assert in_serve.active is in_yaml.get("active", True)


def test_schedules_are_every_ten_minutes_utc_and_daily_eight_seoul(served):
    assert served["monitor"].schedules[0].schedule == CronSchedule(cron="*/10 * * * *", timezone="UTC")
    assert served["digest"].schedules[0].schedule == CronSchedule(cron="0 8 * * *", timezone="Asia/Seoul")


@pytest.mark.parametrize("name", ["monitor", "digest"])
def test_one_run_at_a_time_new_ones_cancelled_in_both(from_yaml, served, name):
    assert from_yaml[name]["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
    assert served[name].concurrency_limit == 1
    assert served[name].concurrency_options.collision_strategy.value == "CANCEL_NEW"


@pytest.mark.parametrize("name", ["monitor", "digest"])
def test_config_path_is_the_only_deployment_parameter(from_yaml, served, name):
    assert from_yaml[name]["parameters"] == {"config_path": "tradewatch.toml"}
    assert served[name].parameters == {"config_path": "/srv/tradewatch/tradewatch.toml"}


def test_prefect_yaml_is_valid_for_the_installed_prefect():
    """Prefect's own model of prefect.yaml ignores unknown keys, so check them too: a typo is not a no-op."""
    from prefect.cli.deploy._models import DeploymentConfig, PrefectYamlModel, RawScheduleConfig

    raw = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    model = PrefectYamlModel.model_validate(raw)
    assert {d.name for d in model.deployments} == {"monitor", "digest"}
    assert set(raw) <= set(PrefectYamlModel.model_fields) | {"prefect-version", "definitions"}
    for deployment in raw["deployments"]:
        assert set(deployment) <= set(DeploymentConfig.model_fields)
        assert set(deployment["work_pool"]) == {"name", "work_queue_name", "job_variables"}
        assert deployment["work_pool"]["name"] == "tradewatch-process"
        for schedule in deployment["schedules"]:
            RawScheduleConfig.model_validate(schedule)  # extra="forbid": unknown keys fail here


def test_pull_step_starts_runs_in_the_directory_prefect_deploy_ran_in():
    raw = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    (build,) = raw["build"]
    (pull,) = raw["pull"]
    step_id = build["prefect.deployments.steps.run_shell_script"]["id"]
    assert build["prefect.deployments.steps.run_shell_script"]["script"] == "pwd"
    assert pull == {
        "prefect.deployments.steps.set_working_directory": {"directory": f"{{{{ {step_id}.stdout }}}}"}
    }


def test_serve_refuses_to_start_without_an_api_to_schedule_runs():
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: None}),
        pytest.raises(NoSchedulerError, match="prefect server"),
    ):
        require_api()
