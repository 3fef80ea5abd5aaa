"""metrics

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

The metrics roll-up: invoices per day by client, business line and geography; findings
per day and rule; one row of facts per ticket; the job's runs. Batches are indexed by
when they arrived, since the roll-up reads one day at a time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metrics_pipeline_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('client_id', sa.String(length=16), nullable=False),
    sa.Column('business_line', sa.String(length=16), nullable=False),
    sa.Column('geography', sa.String(length=2), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('on_hold', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('immediate', sa.Integer(), nullable=False),
    sa.Column('sla_breached', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'client_id', 'business_line', 'geography', name=op.f('pk_metrics_pipeline_daily'))
    )
    op.create_table('metrics_rollup_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('took_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metrics_rollup_runs'))
    )
    op.create_table('metrics_rule_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('client_id', sa.String(length=16), nullable=False),
    sa.Column('business_line', sa.String(length=16), nullable=False),
    sa.Column('geography', sa.String(length=2), nullable=False),
    sa.Column('rule', sa.String(length=48), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'client_id', 'business_line', 'geography', 'rule', name=op.f('pk_metrics_rule_daily'))
    )
    op.create_table('metrics_ticket_facts',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('cut', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('root_cause', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=16), nullable=False),
    sa.Column('business_line', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('deflected', sa.Boolean(), nullable=False),
    sa.Column('first_response_seconds', sa.Integer(), nullable=True),
    sa.Column('resolution_seconds', sa.Integer(), nullable=True),
    sa.Column('human_seconds', sa.Integer(), nullable=False),
    sa.Column('rolled_up_at', models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_metrics_ticket_facts'))
    )
    with op.batch_alter_table('metrics_ticket_facts', schema=None) as batch_op:
        batch_op.create_index('ix_metrics_ticket_facts_day', ['day'], unique=False)

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.create_index('ix_batches_received_at', ['received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index('ix_batches_received_at')

    with op.batch_alter_table('metrics_ticket_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_metrics_ticket_facts_day')

    op.drop_table('metrics_ticket_facts')
    op.drop_table('metrics_rule_daily')
    op.drop_table('metrics_rollup_runs')
    op.drop_table('metrics_pipeline_daily')
