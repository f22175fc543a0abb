"""areas and centres: GB/T 2260 areas, the centres serving them, staff membership, and the
area of seniors, devices, providers, staff and alarms

Revision ID: 0830_areas
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0830_areas"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("areas",)
depends_on: str | Sequence[str] | None = ("0002_accounts_http_lockout", "0012_rule_cursors",
                                          "0304_devices_watch_commands", "0404_dispatch_keys",
                                          "0700_cluster_bus_log_leases")

# The areas the first deployment serves (a copy: later rows come from areas/codes.py through
# the demo or an operator, so this revision never changes with that table).
AREAS = (
    ('150000', None, '内蒙古自治区', 'Inner Mongolia Autonomous Region'),
    ('150100', '150000', '呼和浩特市', 'Hohhot'),
    ('150102', '150100', '新城区', 'Xincheng District'),
    ('150103', '150100', '回民区', 'Huimin District'),
    ('150104', '150100', '玉泉区', 'Yuquan District'),
    ('150105', '150100', '赛罕区', 'Saihan District'),
    ('150121', '150100', '土默特左旗', 'Tumed Left Banner'),
    ('150122', '150100', '托克托县', 'Togtoh County'),
    ('150123', '150100', '和林格尔县', 'Horinger County'),
    ('150124', '150100', '清水河县', 'Qingshuihe County'),
    ('150125', '150100', '武川县', 'Wuchuan County'),
    ('152500', '150000', '锡林郭勒盟', 'Xilingol League'),
    ('152501', '152500', '二连浩特市', 'Erenhot'),
    ('150700', '150000', '呼伦贝尔市', 'Hulunbuir'),
    ('150781', '150700', '满洲里市', 'Manzhouli'),
)
REGION = "150000"
AREA_TABLES = ("seniors", "devices", "dispatch_providers", "staff_users", "alarms",
               "audit_log")


def upgrade() -> None:
    _create_tables()
    text = sa.String()
    op.bulk_insert(sa.table("areas", sa.column("code", text), sa.column("parent_code", text),
                            sa.column("name_zh", text), sa.column("name_en", text)),
                   [dict(zip(("code", "parent_code", "name_zh", "name_en"), row, strict=True))
                    for row in AREAS])
    op.bulk_insert(sa.table("centres", sa.column("id", sa.Integer()), sa.column("slug", text),
                            sa.column("area_code", text), sa.column("parent_id", sa.Integer()),
                            sa.column("name_zh", text), sa.column("name_en", text)),
                   [{"id": 1, "slug": "region", "area_code": REGION, "parent_id": None,
                     "name_zh": "自治区12349监管中心",
                     "name_en": "Regional 12349 supervision centre"}])
    if op.get_context().dialect.name == "postgresql":  # the explicit id skipped the sequence
        op.execute("SELECT setval(pg_get_serial_sequence('centres', 'id'), 1)")
    for table in AREA_TABLES:
        op.add_column(table, sa.Column("area_code", sa.String(length=12), nullable=True))
        op.create_index(f"ix_{table}_area_code", table, ["area_code"])
    _fill_areas()
    # The live feed's log: an event names the area it is about (none: every centre hears it).
    op.add_column("bus_log", sa.Column("area_code", sa.String(length=12), nullable=True))


def _create_tables() -> None:
    op.create_table(
        "areas",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["parent_code"], ["areas.code"],
                                name=op.f("fk_areas_parent_code_areas")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_areas")),
    )
    op.create_table(
        "centres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["area_code"], ["areas.code"],
                                name=op.f("fk_centres_area_code_areas")),
        sa.ForeignKeyConstraint(["parent_id"], ["centres.id"],
                                name=op.f("fk_centres_parent_id_centres")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centres")),
        sa.UniqueConstraint("slug", name=op.f("uq_centres_slug")),
    )
    op.create_index("ix_centres_area_code", "centres", ["area_code"])
    op.create_table(
        "centre_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE",
                                name=op.f("fk_centre_members_user_id_staff_users")),
        sa.ForeignKeyConstraint(["centre_id"], ["centres.id"], ondelete="CASCADE",
                                name=op.f("fk_centre_members_centre_id_centres")),
        sa.PrimaryKeyConstraint("user_id", "centre_id", name=op.f("pk_centre_members")),
    )


def _district_case() -> str:
    """A CASE over today's free-text district names (Chinese and English) giving codes."""
    names: dict[str, str] = {}
    for code, _parent, name_zh, name_en in AREAS:
        for name in (name_zh, name_en, name_en.removesuffix(" District")):
            names[name.lower()] = code
    whens = " ".join(f"WHEN '{name}' THEN '{code}'" for name, code in sorted(names.items()))
    return f"CASE lower(trim(district)) {whens} ELSE '{REGION}' END"


def _fill_areas() -> None:
    """Today's districts become codes; what no name matches goes to the region (its
    supervisors see it and can move it). Plain SQL, so that offline mode renders it too."""
    op.execute(f"UPDATE seniors SET area_code = {_district_case()}")
    for table in ("alarms", "devices"):
        op.execute(f"UPDATE {table} SET area_code = (SELECT seniors.area_code FROM seniors "
                   f"WHERE seniors.id = {table}.senior_id)")
    for table in AREA_TABLES:
        op.execute(f"UPDATE {table} SET area_code = '{REGION}' WHERE area_code IS NULL")
    op.execute("INSERT INTO centre_members (user_id, centre_id, role) "
               "SELECT id, 1, role FROM staff_users")


def downgrade() -> None:
    with op.batch_alter_table("bus_log") as batch:
        batch.drop_column("area_code")
    for table in AREA_TABLES:
        op.drop_index(f"ix_{table}_area_code", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("area_code")
    op.drop_table("centre_members")
    op.drop_index("ix_centres_area_code", table_name="centres")
    op.drop_table("centres")
    op.drop_table("areas")
