"""The alarm taxonomy as data: each kind's default priority and whether it comes with a voice path.

Priorities follow the centre's taxonomy: 1 life-threatening, 2 urgent, 3 health warning,
4 technical, 5 information. ``voice_path`` is False for alarms raised by data alone (a pendant's
SOS, a fall detector), which need the system to call the senior back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Priority(IntEnum):
    LIFE_THREATENING = 1
    URGENT = 2
    HEALTH_WARNING = 3
    TECHNICAL = 4
    INFORMATION = 5


class AlarmState(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Disposition(StrEnum):
    GENUINE_HANDLED = "genuine_handled"
    FALSE_ALARM = "false_alarm"
    TEST = "test"
    NO_ACTION = "no_action"


@dataclass(frozen=True)
class AlarmKind:
    name: str
    priority: Priority
    label_zh: str
    label_en: str
    voice_path: bool = False


_KINDS = (
    AlarmKind("sos", Priority.LIFE_THREATENING, "紧急呼救", "SOS"),
    AlarmKind("fall", Priority.LIFE_THREATENING, "跌倒", "Fall detected"),
    AlarmKind("smoke", Priority.LIFE_THREATENING, "烟雾报警", "Smoke"),
    AlarmKind("carbon_monoxide", Priority.LIFE_THREATENING, "一氧化碳", "Carbon monoxide"),
    AlarmKind("gas", Priority.LIFE_THREATENING, "燃气泄漏", "Gas leak"),
    AlarmKind("emergency_call", Priority.LIFE_THREATENING, "紧急来电", "Emergency call",
              voice_path=True),
    AlarmKind("inactivity", Priority.URGENT, "长时间无活动", "No movement"),
    AlarmKind("night_wandering", Priority.URGENT, "夜间离家", "Night wandering"),
    AlarmKind("geofence_exit", Priority.URGENT, "离开安全区域", "Left safe zone"),
    AlarmKind("bed_not_reoccupied", Priority.URGENT, "离床未归", "Bed not re-occupied"),
    AlarmKind("missed_checkin", Priority.URGENT, "未按时报平安", "Missed daily check-in"),
    AlarmKind("wristband_removed", Priority.URGENT, "手环被摘下", "Wristband removed"),
    AlarmKind("water_leak", Priority.URGENT, "漏水", "Water leak"),
    AlarmKind("room_temperature", Priority.URGENT, "室温异常", "Room temperature extreme"),
    AlarmKind("carer_no_show", Priority.URGENT, "护理员未到", "Carer did not arrive"),
    # Vital signs: one alarm per metric; the rules raise it to P1 when a reading is critical.
    AlarmKind("heart_rate", Priority.HEALTH_WARNING, "心率异常", "Heart rate"),
    AlarmKind("body_temperature", Priority.HEALTH_WARNING, "体温异常", "Body temperature"),
    AlarmKind("spo2", Priority.HEALTH_WARNING, "血氧偏低", "Blood oxygen"),
    AlarmKind("blood_pressure", Priority.HEALTH_WARNING, "血压异常", "Blood pressure"),
    AlarmKind("missed_medication", Priority.HEALTH_WARNING, "漏服药", "Missed medication"),
    AlarmKind("device_offline", Priority.TECHNICAL, "设备离线", "Device offline"),
    AlarmKind("low_battery", Priority.TECHNICAL, "电量低", "Low battery"),
    AlarmKind("power_failure", Priority.TECHNICAL, "断电", "Power or line failure"),
    AlarmKind("tamper", Priority.TECHNICAL, "设备被拆动", "Tamper"),
    AlarmKind("pendant_unused", Priority.TECHNICAL, "挂件长期未用", "Pendant unused"),
    AlarmKind("sensor_fault", Priority.TECHNICAL, "传感器故障", "Sensor fault"),
    AlarmKind("service_request", Priority.INFORMATION, "服务请求（绿键）", "Service request",
              voice_path=False),
    AlarmKind("test_call", Priority.INFORMATION, "测试呼叫", "Test call"),
)
ALARM_KINDS: dict[str, AlarmKind] = {kind.name: kind for kind in _KINDS}

# How soon an alarm of each priority should be answered; the queue turns a row red only once its
# own target has passed. P1: emergency-number practice (NENA: 95 % within 20 s; Verisure answers
# SOS in under 20 s). P2: the European social-alarm standard (98.5 % within 60 s). P3: the TSA
# code's outer limit (99 % within 180 s). P4 and P5 have no published target: a technical fault
# is a work order within the hour, information and service requests are followed up the same
# morning or afternoon (four hours); both are this centre's own choice.
ANSWER_TARGET_SECONDS: dict[Priority, int] = {
    Priority.LIFE_THREATENING: 20,
    Priority.URGENT: 60,
    Priority.HEALTH_WARNING: 180,
    Priority.TECHNICAL: 3600,
    Priority.INFORMATION: 4 * 3600,
}
