{{
    landing_validation(
        'crm', 'renewal_plans',
        foreign_keys=[
            {'column': 'subscription_id', 'to': ref('stg_billing__subscriptions'), 'to_column': 'subscription_id'},
        ],
    )
}}
