{{
    landing_validation(
        'usage', 'training_enrollments',
        foreign_keys=[
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
        ],
        row_checks=[
            {
                'code': 'end_before_start',
                'when': "completed_date < enrolled_date",
                'reason': "'end before start: completed_date=' || cast(completed_date as " ~ pp_type_text() ~ ") || ' is before enrolled_date=' || cast(enrolled_date as " ~ pp_type_text() ~ ")",
            },
        ],
    )
}}
