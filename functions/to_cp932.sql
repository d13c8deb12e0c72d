select {{ cp932_windows_bytes('value_text') }}
