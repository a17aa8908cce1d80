{{
    landing_validation(
        'support', 'support_tickets',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
        ],
        row_checks=[
            {
                'code': 'end_before_start',
                'when': "closed_at < opened_at",
                'reason': "'end before start: closed_at=' || cast(closed_at as " ~ pp_type_text() ~ ") || ' is before opened_at=' || cast(opened_at as " ~ pp_type_text() ~ ")",
            },
        ],
    )
}}
