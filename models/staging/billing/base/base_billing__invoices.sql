{{
    landing_validation(
        'billing', 'invoices',
        foreign_keys=[
            {'column': 'subscription_id', 'to': ref('stg_billing__subscriptions'), 'to_column': 'subscription_id'},
            {'column': 'account_id', 'to': ref('stg_crm__accounts'), 'to_column': 'account_id'},
        ],
    )
}}
