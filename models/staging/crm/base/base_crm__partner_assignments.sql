{{
    landing_validation(
        'crm', 'partner_assignments',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
            {'column': 'partner_id', 'to': ref('stg_crm__partners'), 'to_column': 'partner_id'},
        ],
        row_checks=[
            {
                'code': 'end_before_start',
                'when': "valid_to <= valid_from",
                'reason': "'end before start: valid_to=' || cast(valid_to as " ~ pp_type_text() ~ ") || ' is not after valid_from=' || cast(valid_from as " ~ pp_type_text() ~ ")",
            },
        ],
    )
}}
