"""Typed settings read from ``ANXIN_*`` environment variables and an optional TOML file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.exceptions import InsecureSettingsError

# Values that people paste from examples; none of them may guard a real deployment.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "dev", "development", "placeholder",
     "insecure", "anxin", "please-change-me", "xxx"}
)
MIN_SECRET_LENGTH = 32
CONFIG_FILE_ENV = "ANXIN_CONFIG_FILE"


class Settings(BaseSettings):
    """Everything the service reads at start-up; see docs/operations.md for each setting."""

    model_config = SettingsConfigDict(env_prefix="ANXIN_", extra="ignore", toml_file=None)

    http_host: str = "127.0.0.1"
    http_port: Annotated[int, Field(ge=1, le=65535)] = 8000
    data_dir: Path = Path("./var")
    database_url: str | None = None
    # PostgreSQL only (SQLite runs inline on one connection): connections each process keeps
    # open, and how many more it may open in a burst (docs/operations.md). An app instance runs
    # a dozen loops besides its requests; with 5 kept, a burst opened and closed a connection
    # every few hundred milliseconds (69 in a 20 s alarms bench), each a new server process
    # and every statement prepared again.
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 15
    database_max_overflow: Annotated[int, Field(ge=0, le=200)] = 10
    demo: bool = False
    demo_password: SecretStr | None = None
    secret_key: SecretStr | None = None
    public_base_url: str | None = None
    log_level: str = "INFO"
    session_hours: Annotated[float, Field(gt=0)] = 12.0
    login_max_failures: Annotated[int, Field(ge=1)] = 5
    login_lock_minutes: Annotated[float, Field(ge=0)] = 15.0
    login_failure_delay_seconds: Annotated[float, Field(ge=0)] = 0.5
    # Log-ins per client address: a burst, then this many a minute (429 with Retry-After).
    login_rate_per_minute: Annotated[float, Field(gt=0)] = 10.0
    login_rate_burst: Annotated[int, Field(ge=1)] = 10
    # Password hashes computed at once, each in a worker thread (≈64 MiB and one core each).
    password_hash_workers: Annotated[int, Field(ge=1, le=16)] = 2
    live_buffer_size: Annotated[int, Field(ge=10)] = 10_000
    # Live-feed events kept in the database (cluster/event_log.py) for resumes: at least the
    # last live_buffer_size, and all younger than this.
    live_log_keep_seconds: Annotated[float, Field(gt=0)] = 3600.0
    # Cluster-wide jobs (cluster/leases.py): a lease's term; another instance takes a job this
    # long after its holder died at the latest. The holder renews every sixth of it.
    cluster_lease_seconds: Annotated[float, Field(ge=1.5, le=300)] = 6.0
    # How often an open live feed re-checks its session (logout closes it at once anyway).
    live_session_check_seconds: Annotated[float, Field(gt=0)] = 5.0
    # The live feed's WebSocket ping: a browser that has not answered one within this long
    # (its link dropped without a goodbye) is disconnected, and after the presence grace
    # (a page reload reconnects well within it) the desk counts that person as gone: a
    # station whose operators all went this way has nobody on duty (docs/operations.md).
    live_ping_seconds: Annotated[float, Field(gt=0, le=300)] = 20.0
    presence_grace_seconds: Annotated[float, Field(ge=0, le=300)] = 5.0
    metrics_token: SecretStr | None = None
    # Unset: on when the public base URL is https (see _secure_cookie_behind_https).
    cookie_secure: bool = False
    timezone: str = "Asia/Shanghai"  # the centre's local time: day, night, schedules
    run_background_tasks: bool = True  # off only for tests that drive the loops by hand
    # Freeze start-up's objects out of full garbage collections (runtime/heap.py); the tests
    # turn it off, as they start hundreds of apps in one process.
    settle_heap: bool = True
    # Call centre (callcenter/): which phone network, Twilio credentials, call-back timing.
    # Unset: the simulator in demo mode, no phone network otherwise (see prepare_secrets).
    telephony: Literal["simulator", "twilio", "freeswitch", "none"] | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    hotline_number: str = "12349"
    # Public services an operator may dial besides seniors, contacts and staff endpoints.
    service_numbers: list[str] = ["120", "110", "119"]
    callback_offer_after_seconds: Annotated[float, Field(gt=0)] = 120.0
    # A P1 nobody at its own centre took within this long rings the centres above it too.
    routing_overflow_seconds: Annotated[float, Field(gt=0)] = 30.0
    outbound_ring_seconds: Annotated[int, Field(ge=5, le=120)] = 30
    # FreeSWITCH over its event socket (docs/telephony.md): the inbound ESL address and
    # password, where Anxin listens for the dialplan's `socket` application, the SIP trunk's
    # gateway, recorded prompts (<dir>/<language>/<prompt>.wav), TTS and an optional ASR.
    freeswitch_esl: str = "127.0.0.1:8021"
    freeswitch_esl_password: SecretStr | None = None
    freeswitch_socket_host: str = "127.0.0.1"
    freeswitch_socket_port: Annotated[int, Field(ge=0, le=65535)] = 8084
    freeswitch_gateway: str = "trunk"
    freeswitch_prompt_dir: Path | None = None
    freeswitch_tts_engine: str = "tts_commandline"
    freeswitch_tts_voice: str = "zh"
    freeswitch_asr: str | None = None
    freeswitch_hold_music: str = "local_stream://moh"
    # Where the switch writes call recordings; Anxin reads them from the same path, so it is a
    # folder both see (the same machine, or a shared mount).
    freeswitch_recording_dir: Path = Path("/var/lib/freeswitch/recordings/anxin")

    # devices: the MQTT bridge (docs/mqtt.md, docs/operations.md)
    mqtt_url: str | None = None
    mqtt_port: Annotated[int, Field(ge=1, le=65535)] = 1883
    mqtt_enabled: bool = True
    mqtt_ingest_in_app: bool = True
    # >0: the app runs its ingest in that many child processes instead of on its own loop
    mqtt_ingest_processes: Annotated[int, Field(ge=0, le=16)] = 0
    mqtt_ingest_batch_size: Annotated[int, Field(ge=1, le=5000)] = 500
    # the ingest reconnects, and /readyz says so, after this long without any message from the
    # broker, not even its own probe (sent every quarter of it)
    mqtt_ingest_stall_seconds: Annotated[float, Field(ge=0.5, le=3600)] = 20.0
    demo_fleet_devices: Annotated[int, Field(ge=0)] = 4
    # devices: the 3G watch TCP gateway (docs/mqtt.md "Watches over TCP"); off unless a port
    # is set. Watches reach it from the mobile network: set the host to 0.0.0.0 in production.
    watch_port: Annotated[int | None, Field(ge=0, le=65535)] = None
    watch_host: str = "127.0.0.1"
    watch_ack_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0
    # sent to a watch when it is provisioned (UPLOAD): seconds between position reports
    watch_report_seconds: Annotated[int, Field(ge=10, le=86400)] = 300
    # how the incident page links a position; {lat} and {lon} are replaced ("" for no link)
    watch_map_link: str = "geo:{lat},{lon}"
    # With an external Mosquitto: keep its password/ACL files here and SIGHUP the pid in the
    # pid file whenever a device is provisioned, retired, re-credited or reassigned.
    mosquitto_dir: Path | None = None
    mosquitto_pid_file: Path | None = None

    # dispatch: offers, matching weights, timers and provider links
    dispatch_offer_timeout_urgent_s: Annotated[float, Field(gt=0)] = 60.0
    dispatch_offer_timeout_same_day_s: Annotated[float, Field(gt=0)] = 180.0
    dispatch_offer_timeout_scheduled_s: Annotated[float, Field(gt=0)] = 900.0
    dispatch_due_minutes_urgent: Annotated[float, Field(gt=0)] = 45.0
    dispatch_due_minutes_same_day: Annotated[float, Field(gt=0)] = 480.0
    dispatch_due_minutes_scheduled: Annotated[float, Field(gt=0)] = 120.0
    dispatch_parallel_offers: Annotated[int, Field(ge=1)] = 3
    dispatch_max_offers: Annotated[int, Field(ge=1)] = 6
    dispatch_timer_tick_s: Annotated[float, Field(gt=0)] = 1.0
    dispatch_link_hours: Annotated[float, Field(gt=0)] = 24.0
    dispatch_timezone: str = "Asia/Shanghai"
    dispatch_speed_kmh: Annotated[float, Field(gt=0)] = 25.0
    dispatch_weight_travel: Annotated[float, Field(ge=0)] = 3.0
    dispatch_weight_load: Annotated[float, Field(ge=0)] = 1.0
    dispatch_weight_idle: Annotated[float, Field(ge=0)] = 0.5
    dispatch_weight_rating: Annotated[float, Field(ge=0)] = 1.0
    dispatch_weight_slack: Annotated[float, Field(ge=0)] = 1.0
    dispatch_weight_familiarity: Annotated[float, Field(ge=0)] = 0.5
    dispatch_weight_reliability: Annotated[float, Field(ge=0)] = 1.0
    # How often the in-memory candidate index reloads every provider (other instances' edits).
    dispatch_index_rebuild_s: Annotated[float, Field(gt=0)] = 120.0
    # From this local minute each day, recurring visits for tomorrow are made and batch-assigned.
    dispatch_plan_minute: Annotated[int, Field(ge=0, lt=24 * 60)] = 18 * 60

    # liveness (proof-of-life for subsidies): see docs/liveness.md
    # The root of the biometric keys (templates, audit frames): required outside demo mode,
    # apart from secret_key. While rotating, the old value goes in biometric_key_previous.
    biometric_key: SecretStr | None = None
    biometric_key_previous: SecretStr | None = None
    liveness_accept_distance: Annotated[float, Field(gt=0)] = 0.45
    liveness_review_distance: Annotated[float, Field(gt=0)] = 0.55
    liveness_replay_distance: Annotated[float, Field(ge=0)] = 0.12
    liveness_session_minutes: Annotated[float, Field(gt=0)] = 3.0
    liveness_max_failures: Annotated[int, Field(ge=1)] = 5
    liveness_failure_window_minutes: Annotated[float, Field(gt=0)] = 3.0
    liveness_cooloff_minutes: Annotated[float, Field(ge=0)] = 15.0
    liveness_workers: Annotated[int, Field(ge=1)] = 2
    liveness_analysis_width: Annotated[int, Field(ge=160)] = 320
    liveness_audit_frame_days: Annotated[float, Field(gt=0)] = 30.0
    liveness_certification_months: Annotated[int, Field(ge=1)] = 12
    liveness_due_soon_days: Annotated[int, Field(ge=0)] = 30
    liveness_reminder_days: Annotated[int, Field(ge=0)] = 14
    liveness_link_minutes: Annotated[float, Field(gt=0)] = 30.0
    # How many checks one capture link allows: each failed one hands the senior the next try.
    liveness_link_attempts: Annotated[int, Field(ge=1)] = 3

    # incidents: the number "conference 120 in" dials (the local emergency medical centre)
    incidents_emergency_number: str = "120"

    # messages (messaging/, docs/telephony.md): the SMS channel, gateway credentials, template
    # codes (Chinese carriers send only registered templates), WeChat, retries.
    sms: Literal["telephony", "aliyun", "tencent"] = "telephony"
    # Our template name (alarm_received, visit_arranged, provider_offer, ...) -> gateway code.
    sms_templates: dict[str, str] = {}
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: SecretStr | None = None
    aliyun_sms_sign_name: str | None = None
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_sms_region: str = "cn-hangzhou"
    tencent_secret_id: str | None = None
    tencent_secret_key: SecretStr | None = None
    tencent_sms_app_id: str | None = None
    tencent_sms_sign_name: str | None = None
    tencent_sms_endpoint: str = "https://sms.tencentcloudapi.com/"
    tencent_sms_region: str = "ap-guangzhou"
    # WeChat official account: unset app id means no WeChat notices.
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_templates: dict[str, str] = {}
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_oauth_base: str = "https://open.weixin.qq.com"
    wechat_link_hours: Annotated[float, Field(gt=0)] = 72.0
    # The "Token" of the account's server configuration: WeChat signs its pushes with it
    # (template-message delivery reports); unset, the push endpoint answers 404.
    wechat_server_token: SecretStr | None = None
    # Pause before each retry of a message the gateway could not take (5xx, timeout); after
    # the last one the message is failed.
    message_retry_seconds: list[Annotated[float, Field(ge=0)]] = [10.0, 60.0, 300.0]
    message_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    message_tick_seconds: Annotated[float, Field(gt=0)] = 2.0
    # Call recording (callcenter/recordings/): the call purposes recorded (hotline, alarm_callback,
    # contact, abandoned_callback, callback, campaign...); empty records nothing. Callers hear
    # the recording notice first. Recordings are sealed at rest and deleted after the retention.
    recording_call_kinds: list[str] = []
    recording_retention_days: Annotated[float, Field(gt=0)] = 180.0
    recording_tick_seconds: Annotated[float, Field(gt=0)] = 30.0
    # data (retention/, backups/): how long each kind of record is kept; docs/operations.md
    readings_raw_days: Annotated[int, Field(ge=1)] = 30
    readings_hourly_days: Annotated[int, Field(ge=1)] = 400
    readings_daily_years: Annotated[int, Field(ge=1)] = 10
    audit_days: Annotated[int, Field(ge=180)] = 180
    # Closed alarms, incidents, calls, orders and lapsed certifications older than this are
    # archived (left out of lists, kept and readable); 0 archives nothing.
    case_archive_days: Annotated[int, Field(ge=0)] = 0
    retention_interval_minutes: Annotated[float, Field(gt=0)] = 10.0
    # Rows deleted per statement on SQLite: each holds the write lock only this long.
    retention_batch_rows: Annotated[int, Field(ge=100, le=100_000)] = 5000
    # The job pauses this many times a batch's duration after it (see retention/flows.py).
    retention_pause_factor: Annotated[float, Field(ge=0, le=100)] = 9.0
    backup_dir: Path | None = None  # set: scheduled backups go here
    backup_key: SecretStr | None = None  # unset: derived from ANXIN_SECRET_KEY
    backup_interval_hours: Annotated[float, Field(gt=0)] = 24.0
    backup_keep: Annotated[int, Field(ge=1)] = 7

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments beat environment, environment beats the TOML file."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = _config_file()
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @model_validator(mode="after")
    def _secure_cookie_behind_https(self) -> Settings:
        """A site reached over https sends its session cookie over https only, unless told."""
        public = (self.public_base_url or "").lower()
        if "cookie_secure" not in self.model_fields_set and public.startswith("https://"):
            self.cookie_secure = True
        return self

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'anxin.db').resolve()}"

    def secret(self) -> str:
        """The secret key; call only after :func:`prepare_secrets`."""
        if self.secret_key is None:
            raise InsecureSettingsError("ANXIN_SECRET_KEY is not set")
        return self.secret_key.get_secret_value()

    def biometric_secret(self) -> str:
        """The biometric key's root; call only after :func:`prepare_secrets`."""
        if self.biometric_key is None:
            raise InsecureSettingsError("ANXIN_BIOMETRIC_KEY is not set")
        return self.biometric_key.get_secret_value()


def _config_file() -> Path | None:
    explicit = os.environ.get(CONFIG_FILE_ENV)
    if explicit:
        return Path(explicit)
    default = Path(__file__).with_name("anxin.toml")
    return default if default.exists() else None


def is_placeholder(value: str | None) -> bool:
    """True for a missing, short or well-known example secret."""
    return value is None or value.strip().lower() in PLACEHOLDER_SECRETS or (
        len(value) < MIN_SECRET_LENGTH
    )


def prepare_secrets(settings: Settings) -> Settings:
    """Refuse weak secrets outside demo mode and unsafe combinations; in demo mode make and
    keep missing secrets."""
    settings = _resolve_telephony(settings)
    settings = _prepared(settings, "secret_key", "ANXIN_SECRET_KEY", "demo-secret-key")
    settings = _prepared(settings, "biometric_key", "ANXIN_BIOMETRIC_KEY",
                         "demo-biometric-key")
    assert settings.secret_key is not None and settings.biometric_key is not None
    if settings.biometric_key.get_secret_value() == settings.secret_key.get_secret_value():
        raise InsecureSettingsError(
            "ANXIN_BIOMETRIC_KEY must differ from ANXIN_SECRET_KEY (biometric data has its "
            "own key)")
    return settings


def _prepared(settings: Settings, field: str, name: str, demo_file: str) -> Settings:
    value: SecretStr | None = getattr(settings, field)
    if not is_placeholder(value.get_secret_value() if value else None):
        return settings
    if not settings.demo:
        raise InsecureSettingsError(
            f"{name} is missing or a placeholder; set a random value of at least "
            f"{MIN_SECRET_LENGTH} characters (or ANXIN_DEMO=1 for a demo)"
        )
    return settings.model_copy(update={field: SecretStr(_demo_secret(settings.data_dir,
                                                                     demo_file))})


def prepare_data_dir(data_dir: Path) -> Path:
    """The data directory, made (or narrowed to) 0700: it holds the database and secrets."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_mode & 0o077:
        data_dir.chmod(0o700)
    return data_dir


def _resolve_telephony(settings: Settings) -> Settings:
    """The simulator fakes callers' numbers: only in demo mode or when asked for by name, and
    never beside a real phone network's credentials."""
    telephony = settings.telephony or ("simulator" if settings.demo else "none")
    if telephony == "simulator" and (settings.twilio_account_sid or settings.twilio_auth_token):
        raise InsecureSettingsError(
            "ANXIN_TELEPHONY=simulator cannot run beside a real phone network: unset "
            "ANXIN_TWILIO_ACCOUNT_SID and ANXIN_TWILIO_AUTH_TOKEN, or set ANXIN_TELEPHONY=twilio")
    return settings.model_copy(update={"telephony": telephony})


def _demo_secret(data_dir: Path, name: str) -> str:
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    prepare_data_dir(data_dir)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
