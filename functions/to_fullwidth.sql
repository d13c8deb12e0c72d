select {{ to_fullwidth('value_text') }}
