"""deploy/aws/cloudformation.yaml: cfn-lint finds no error in it, and the properties that keep
the production stack safe hold: a private encrypted bucket, grading workers on EC2 hosts with
the Docker socket, no secret in any container's plain environment, exactly one beat, HTTPS
with the certificate parameter, data stores reachable only from the portal's tasks, a log
group for every container and worker scaling on the queue depth the sweeper reports.

The template is read with cfn-lint's own decoder (it understands !Ref, !Sub, !If ...). Nothing
here talks to AWS: the stack has never been deployed from this project.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from portal.core import metrics

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "aws" / "cloudformation.yaml"

# Environment names that look secret but are not; say why when adding one.
NOT_SECRETS = frozenset(
    {
        "ENTRA_AUTHORITY",  # the sign-in authority's public URL (login.microsoftonline.com/...)
    }
)
SECRET_LOOKING = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|AUTH|_URL$")
# Plain URLs that carry no credentials.
PLAIN_URLS = frozenset({"SITE_URL", "MLFLOW_TRACKING_URI"})
# What the portal's containers read from Secrets Manager.
APP_SECRETS = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded, problems = decode(str(TEMPLATE))
    assert not problems, problems
    assert loaded is not None
    return loaded


# -- helpers ------------------------------------------------------------------------------------


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def ref(value: Any) -> str | None:
    """The logical name in ``!Ref Name`` or ``!GetAtt Name.Attr``; None for anything else."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".")[0])
    return None


def words(command: list[Any]) -> list[str]:
    """A container command as strings; ``!Ref X`` becomes ``${X}``, a script stays one word."""
    return [f"${{{ref(word)}}}" if ref(word) else str(word) for word in command]


def branches(items: list[Any]) -> Iterator[dict[str, Any]]:
    """The entries of a list whatever the conditions: both sides of every ``!If``."""
    for item in items:
        if isinstance(item, dict) and "Fn::If" in item:
            yield from branches([b for b in item["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}])
        else:
            yield item


def containers(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, task in resources(template, "AWS::ECS::TaskDefinition").items():
        for container in task["Properties"]["ContainerDefinitions"]:
            yield name, container


def command_text(container: dict[str, Any]) -> str:
    """The container's command as one line (a shell script stays as written)."""
    return " ".join(words(container.get("Command", [])))


def tasks_running(template: dict[str, Any], phrase: str) -> dict[str, dict[str, Any]]:
    """Task definitions with a container whose command contains ``phrase``."""
    return {
        name: task
        for name, task in resources(template, "AWS::ECS::TaskDefinition").items()
        if any(phrase in command_text(c) for c in task["Properties"]["ContainerDefinitions"])
    }


def services_running(template: dict[str, Any], phrase: str) -> list[tuple[str, dict, dict]]:
    """(service name, task definition, service) of the services whose task runs ``phrase``."""
    tasks = tasks_running(template, phrase)
    return [
        (name, tasks[ref(service["Properties"]["TaskDefinition"])], service)
        for name, service in resources(template, "AWS::ECS::Service").items()
        if ref(service["Properties"]["TaskDefinition"]) in tasks
    ]


def container_running(task: dict[str, Any], phrase: str) -> dict[str, Any]:
    (container,) = [
        c for c in task["Properties"]["ContainerDefinitions"] if phrase in command_text(c)
    ]
    return container


# -- cfn-lint ---------------------------------------------------------------------------------


def test_cfn_lint_finds_no_error_in_the_template() -> None:
    # cfn-lint has no `python -m cfnlint`; its console script calls cfnlint.runner.main.
    lint = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
            "--format",
            "parseable",
            str(TEMPLATE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = lint.stdout + lint.stderr
    errors = [line for line in lint.stdout.splitlines() if ":E" in line]
    # Exit code bits: 1 = cfn-lint itself failed, 2 = errors, 4 = warnings, 8 = informational.
    assert not lint.returncode & 0b11, report
    assert not errors, report


# -- storage ------------------------------------------------------------------------------------


def test_the_media_bucket_is_private_encrypted_versioned_and_tls_only(template) -> None:
    (name, bucket), *others = resources(template, "AWS::S3::Bucket").items()
    assert not others
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["DeletionPolicy"] == "Retain"

    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
    assert ref(policy["Properties"]["Bucket"]) == name
    denials = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny"
        and s["Condition"]["Bool"]["aws:SecureTransport"] in ("false", False)
    ]
    assert denials, "no statement denies requests without TLS"


def test_the_tasks_reach_only_the_media_bucket_and_only_to_read_write_and_list(template) -> None:
    bucket = next(iter(resources(template, "AWS::S3::Bucket")))
    allowed = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}
    statements = []
    for role in resources(template, "AWS::IAM::Role").values():
        for inline in role["Properties"].get("Policies", []):
            statements += inline["PolicyDocument"]["Statement"]
    for policy in resources(template, "AWS::IAM::ManagedPolicy").values():
        statements += policy["Properties"]["PolicyDocument"]["Statement"]
    s3 = [s for s in statements if any(str(a).startswith("s3:") for a in _list(s["Action"]))]
    assert s3, "no role may use the media bucket"
    for statement in s3:
        assert set(_list(statement["Action"])) <= allowed, statement
        for resource in _list(statement["Resource"]):
            assert bucket in json.dumps(resource), statement


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- compute --------------------------------------------------------------------------------------


def test_grading_workers_run_on_ec2_hosts_and_mount_the_docker_socket(template) -> None:
    workers = services_running(template, "celery -A portal worker -Q grading")
    assert workers, "no service runs `celery worker -Q grading`"
    for _, task, service in workers:
        assert task["Properties"]["RequiresCompatibilities"] == ["EC2"]
        props = service["Properties"]
        if props.get("LaunchType") != "EC2":
            (strategy,) = props["CapacityProviderStrategy"]
            provider = template["Resources"][ref(strategy["CapacityProvider"])]
            assert provider["Type"] == "AWS::ECS::CapacityProvider"
            group = ref(provider["Properties"]["AutoScalingGroupProvider"]["AutoScalingGroupArn"])
            assert template["Resources"][group]["Type"] == "AWS::AutoScaling::AutoScalingGroup"

        worker = container_running(task, "-Q grading")
        volumes = {v["Name"]: v for v in task["Properties"]["Volumes"]}
        sockets = [
            m
            for m in worker["MountPoints"]
            if m["ContainerPath"] == "/var/run/docker.sock"
            and volumes[m["SourceVolume"]]["Host"]["SourcePath"] == "/var/run/docker.sock"
        ]
        assert sockets, "the grading worker does not mount the host's Docker socket"
        # The sandbox's bind-mount sources are resolved by the host's Docker: the worker's
        # AUTOGRADER_HOST_DIR must be a host folder mounted at the same path.
        environment = {v["Name"]: v["Value"] for v in branches(worker["Environment"])}
        host_dir = environment["AUTOGRADER_HOST_DIR"]
        assert any(
            m["ContainerPath"] == host_dir
            and volumes[m["SourceVolume"]]["Host"]["SourcePath"] == host_dir
            and not m.get("ReadOnly")
            for m in worker["MountPoints"]
        ), f"{host_dir} is not the host's {host_dir}"
        argv = words(worker["Command"])
        assert argv[:3] == ["celery", "-A", "portal"]
        assert "--concurrency" in argv and "--max-memory-per-child" in argv


def test_grading_hosts_run_the_ecs_optimised_amazon_linux_2023_image(template) -> None:
    (launch,) = resources(template, "AWS::EC2::LaunchTemplate").values()
    image = launch["Properties"]["LaunchTemplateData"]["ImageId"]
    assert "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id" in image


def test_no_container_has_a_secret_in_its_plain_environment(template) -> None:
    secret_resources = resources(template, "AWS::SecretsManager::Secret")
    checked = 0
    for task, container in containers(template):
        where = f"{task}/{container['Name']}"
        for variable in branches(container.get("Environment", [])):
            name, value = variable["Name"], json.dumps(variable["Value"])
            checked += 1
            if name in NOT_SECRETS or name in PLAIN_URLS:
                continue
            assert not SECRET_LOOKING.search(name), f"{where}: {name} is in Environment"
            assert not re.search(r"://[^/\s\"]*:[^/\s\"]*@", value), f"{where}: {name}"
        for secret in container.get("Secrets", []):
            target = ref(secret["ValueFrom"])
            assert target in secret_resources, f"{where}: {secret['Name']} from {target}"
    assert checked, "no container environment was checked"


def test_the_portal_containers_get_their_secrets_from_secrets_manager(template) -> None:
    phrases = [
        "exec gunicorn -c deploy/gunicorn.conf.py portal.wsgi",
        "celery -A portal worker -Q grading",
        "celery -A portal worker -Q maintenance",
        "celery -A portal beat",
        "python manage.py migrate",
    ]
    for phrase in phrases:
        tasks = tasks_running(template, phrase)
        assert tasks, f"no task runs {phrase!r}"
        for task in tasks.values():
            names = {s["Name"] for s in container_running(task, phrase).get("Secrets", [])}
            assert names >= APP_SECRETS, (phrase, names)
    (web,) = tasks_running(template, "exec gunicorn").values()
    names = {s["Name"] for s in container_running(web, "exec gunicorn")["Secrets"]}
    assert "ENTRA_CLIENT_SECRET" in names


def test_exactly_one_beat_runs_even_during_a_deployment(template) -> None:
    beats = services_running(template, "celery -A portal beat")
    assert len(beats) == 1, beats
    (_, _, service) = beats[0]
    assert service["Properties"]["DesiredCount"] == 1
    assert service["Properties"]["DeploymentConfiguration"]["MaximumPercent"] == 100


def test_the_load_balancer_serves_https_with_the_certificate_and_redirects_http(template) -> None:
    listeners = resources(template, "AWS::ElasticLoadBalancingV2::Listener").values()
    by_protocol = {listener["Properties"]["Protocol"]: listener for listener in listeners}
    https = by_protocol["HTTPS"]["Properties"]
    assert https["Port"] == 443
    (certificate,) = https["Certificates"]
    assert ref(certificate["CertificateArn"]) == "CertificateArn"
    assert "CertificateArn" in template["Parameters"]
    (redirect,) = by_protocol["HTTP"]["Properties"]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    (target_group,) = resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert target_group["Properties"]["HealthCheckPath"] == "/readyz"


def test_postgres_and_redis_are_encrypted_and_reachable_only_from_the_portal_tasks(
    template,
) -> None:
    (database,) = resources(template, "AWS::RDS::DBInstance").values()
    db = database["Properties"]
    assert db["Engine"] == "postgres" and str(db["EngineVersion"]).startswith("16")
    assert db["StorageEncrypted"] is True and db["DeletionProtection"] is True
    assert db["PubliclyAccessible"] is False
    assert ref(db["BackupRetentionPeriod"]) and ref(db["MultiAZ"])
    assert "{{resolve:secretsmanager:" in json.dumps(db["MasterUserPassword"])

    (redis,) = resources(template, "AWS::ElastiCache::ReplicationGroup").values()
    cache = redis["Properties"]
    assert cache["TransitEncryptionEnabled"] is True and cache["AtRestEncryptionEnabled"] is True
    assert "{{resolve:secretsmanager:" in json.dumps(cache["AuthToken"])

    groups = resources(template, "AWS::EC2::SecurityGroup")
    portal_groups = {"WebSecurityGroup", "TasksSecurityGroup"}
    for store, port in ((db["VPCSecurityGroups"], 5432), (cache["SecurityGroupIds"], 6379)):
        (group,) = [ref(g) for g in store]
        rules = groups[group]["Properties"]["SecurityGroupIngress"]
        assert rules
        for rule in rules:
            assert "CidrIp" not in rule and "CidrIpv6" not in rule, rule
            assert ref(rule["SourceSecurityGroupId"]) in portal_groups, rule
            assert rule["FromPort"] == rule["ToPort"] == port, rule
    # Only the load balancer is open to the internet, and web only to the load balancer.
    for name, group in groups.items():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            if rule.get("CidrIp") == "0.0.0.0/0":
                assert name == "LoadBalancerSecurityGroup", rule
    (web_rule,) = groups["WebSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert ref(web_rule["SourceSecurityGroupId"]) == "LoadBalancerSecurityGroup"


# -- logs and scaling -----------------------------------------------------------------------------


def test_every_container_logs_to_a_log_group_of_its_own_with_retention(template) -> None:
    groups = resources(template, "AWS::Logs::LogGroup")
    used = []
    for task, container in containers(template):
        logging = container.get("LogConfiguration")
        assert logging, f"{task}/{container['Name']} has no log configuration"
        assert logging["LogDriver"] == "awslogs"
        group = ref(logging["Options"]["awslogs-group"])
        assert group in groups, f"{task}/{container['Name']} logs to {group}"
        assert groups[group]["Properties"]["RetentionInDays"]
        used.append(group)
    assert len(used) == len(set(used)), "two containers share a log group"


def test_grading_workers_scale_on_the_queue_depth_the_sweeper_reports(template) -> None:
    queue_depth = f"{metrics.NAMESPACE}.{metrics.QUEUE_DEPTH}"
    # The sweeper runs in the maintenance worker; its DogStatsD packets go to the CloudWatch
    # agent in the same task, which publishes them in the stack's metrics namespace.
    ((_, maintenance, _),) = services_running(template, "celery -A portal worker -Q maintenance")
    by_name = {c["Name"]: c for c in maintenance["Properties"]["ContainerDefinitions"]}
    sweeper = container_running(maintenance, "-Q maintenance")
    environment = {v["Name"]: v["Value"] for v in branches(sweeper["Environment"])}
    assert environment["DD_AGENT_HOST"] == "127.0.0.1"
    agent_config = json.dumps(by_name["cloudwatch-agent"]["Environment"])
    assert '\\"service_address\\": \\":8125\\"' in agent_config
    assert "MetricsNamespace" in agent_config
    # The alarms watch the series without dimensions, which the agent publishes only when asked.
    assert '\\"aggregation_dimensions\\": [[]]' in agent_config
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    assert all(not alarm["Properties"].get("Dimensions") for alarm in alarms)

    ((worker_name, _, _),) = services_running(template, "celery -A portal worker -Q grading")
    (target_name, target), *others = resources(
        template, "AWS::ApplicationAutoScaling::ScalableTarget"
    ).items()
    assert not others
    assert worker_name in json.dumps(target["Properties"]["ResourceId"])
    policies = {
        name
        for name, policy in resources(
            template, "AWS::ApplicationAutoScaling::ScalingPolicy"
        ).items()
        if ref(policy["Properties"]["ScalingTargetId"]) == target_name
    }
    triggers = [
        alarm["Properties"]
        for alarm in alarms
        if alarm["Properties"]["MetricName"] == queue_depth
        and ref(alarm["Properties"]["Namespace"]) == "MetricsNamespace"
        and {ref(action) for action in alarm["Properties"]["AlarmActions"]} & policies
    ]
    directions = {t["ComparisonOperator"] for t in triggers}
    assert "GreaterThanOrEqualToThreshold" in directions, "nothing adds workers"
    assert "LessThanOrEqualToThreshold" in directions, "nothing removes workers"
