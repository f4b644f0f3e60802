function __ocppd_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ocppd_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ocppd_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ocppd_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ocppd_parse_tokens -S
    set -l unparsed_tokens (__ocppd_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ocppd'
        __ocppd_parse_subcommand 0 'host=' 'port=' 'ocpp-path=' 'data-dir=' 'database=' 'db-pool-size=' 'api-token=' 'call-timeout=' 'store-retry-window=' 'max-queued-commands=' 'heartbeat-interval=' 'unknown-stations=' 'data-transfer-vendors=' 'ping-interval=' 'http-idle-timeout=' 'max-frame-size=' 'log-level=' 'max-calls-per-second=' 'max-handshakes-per-second=' 'max-auth-failures=' 'max-api-requests-per-second=' 'max-event-subscribers=' 'max-body-size=' 'tls-cert=' 'tls-key=' 'tls-client-ca=' 'trusted-proxies=' 'forwarded-cert-header=' 'plain-port=' 'public-url=' 'files-dir=' 'max-upload-size=' 'files-retention-days=' 'files-max-total=' 'audit-retention-days=' 'webhook-allow-private' 'webhook-give-up-after=' 'station-ca-cert=' 'station-ca-key=' 'station-cert-organization=' 'station-cert-days=' 'node-id=' 'node-url=' 'cluster-secret=' 'cluster-secret-file=' 'config=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'token'
            __ocppd_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'rotate'
                __ocppd_parse_subcommand 0 'version' 'h/help'
            end
        case 'help'
            __ocppd_parse_subcommand -r 1 'version'
        end
    end
end

function __ocppd_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ocppd_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __ocppd_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ocppd_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ocppd_tokens -p)
    if test -z "$(__ocppd_tokens -t)"
        set -l index (count (__ocppd_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ocppd' -f
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" host' -l 'host' -d 'Address to listen on (env OCPPD_HOST, default 0.0.0.0).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" port' -l 'port' -d 'Port of the REST API and the OCPP endpoint (env PORT, default 3000).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" ocpp-path' -l 'ocpp-path' -d 'Path prefix of the OCPP endpoint (env OCPP_WS_PATH, default /ocpp).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" data-dir' -l 'data-dir' -d 'Directory of the SQLite database and the generated API token (env OCPPD_DATA_DIR).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" database' -l 'database' -d 'Database URL: sqlite:///path, a file path, mysql://USER:PASSWORD@HOST:PORT/DB (also mariadb://) or mysql://USER@localhost/DB?socket=PATH (env DATABASE_URL, default DATA_DIR/ocppd.sqlite).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" db-pool-size' -l 'db-pool-size' -d 'Connections to MariaDB: half of them writers (at most 4; one in a cluster), the rest readers; at least 2 (env OCPPD_DB_POOL_SIZE, default 5).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" api-token' -l 'api-token' -d 'Bearer token of the REST API (env OCPPD_API_TOKEN; generated into DATA_DIR/api-token when unset).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" call-timeout' -l 'call-timeout' -d 'Seconds to wait for a charge point\'s answer to a command (env OCPPD_CALL_TIMEOUT, default 30).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" store-retry-window' -l 'store-retry-window' -d 'Seconds a charge point\'s message retries an unavailable database (a restart) before CALLERROR InternalError (env OCPPD_STORE_RETRY_WINDOW, default 15).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-queued-commands' -l 'max-queued-commands' -d 'Commands that may wait for one station while another is outstanding (env OCPPD_MAX_QUEUED_COMMANDS, default 16).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" heartbeat-interval' -l 'heartbeat-interval' -d 'Heartbeat interval given to charge points at boot, in seconds (env HEARTBEAT_INTERVAL, default 60).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" unknown-stations' -l 'unknown-stations' -d 'Unknown stations: accept, pending or reject (env OCPPD_UNKNOWN_STATIONS or BOOT_NOTIFICATION_STATUS, default accept).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" data-transfer-vendors' -l 'data-transfer-vendors' -d 'Vendor ids whose DataTransfer from a charge point is answered Accepted; any other gets UnknownVendorId (env OCPPD_DATA_TRANSFER_VENDORS; comma-separated, case-insensitive; default none).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" ping-interval' -l 'ping-interval' -d 'Seconds between WebSocket pings (env OCPPD_PING_INTERVAL, default 60; 0 disables).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" http-idle-timeout' -l 'http-idle-timeout' -d 'Seconds an HTTP connection may stay silent while its request is read (a stalled upload) or between requests before it is closed (env OCPPD_HTTP_IDLE_TIMEOUT, default 60).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-frame-size' -l 'max-frame-size' -d 'Largest WebSocket message from a station, in bytes (env OCPPD_MAX_FRAME_SIZE, default 65536).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" log-level' -l 'log-level' -d 'trace, debug, info, notice, warning, error or critical (env LOG_LEVEL, default info). debug traces OCPP frames.' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-calls-per-second' -l 'max-calls-per-second' -d 'CALLs per second per station: one that waits for each answer is slowed to it, one that does not gets CALLERROR beyond it (env OCPPD_MAX_CALLS_PER_SECOND, default 50; 0: no limit).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-handshakes-per-second' -l 'max-handshakes-per-second' -d 'WebSocket handshakes per second from one address (IPv6: one /64); more get 429 (env OCPPD_MAX_HANDSHAKES_PER_SECOND, default 100; 0: no limit).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-auth-failures' -l 'max-auth-failures' -d 'Wrong station credentials per identity and address in 5 minutes before they are locked out (env OCPPD_MAX_AUTH_FAILURES, default 10; 0: no limit).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-api-requests-per-second' -l 'max-api-requests-per-second' -d 'REST requests per second with the token; more get 429 (env OCPPD_MAX_API_REQUESTS_PER_SECOND, default 1000; 0: no limit).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-event-subscribers' -l 'max-event-subscribers' -d 'Event-stream subscribers at once; more get 429 (env OCPPD_MAX_EVENT_SUBSCRIBERS, default 100; 0: no limit).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-body-size' -l 'max-body-size' -d 'Largest REST request body, in bytes; larger get 413 (env OCPPD_MAX_BODY_SIZE, default 1048576).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" tls-cert' -l 'tls-cert' -d 'PEM certificate chain: the port then speaks TLS, wss:// and https:// (env OCPPD_TLS_CERT; reread on SIGHUP).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" tls-key' -l 'tls-key' -d 'PEM private key of --tls-cert (env OCPPD_TLS_KEY).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" tls-client-ca' -l 'tls-client-ca' -d 'PEM CA of station client certificates, for security profile 3, on TLS or forwarded by a trusted proxy (env OCPPD_TLS_CLIENT_CA).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" trusted-proxies' -l 'trusted-proxies' -d 'Reverse proxies whose forwarded headers are believed: X-Forwarded-For, X-Forwarded-Proto and the client certificate (env OCPPD_TRUSTED_PROXIES; comma-separated addresses or CIDR blocks; default none).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" forwarded-cert-header' -l 'forwarded-cert-header' -d 'The header in which trusted proxies forward a station\'s client certificate (env OCPPD_FORWARDED_CERT_HEADER, default X-SSL-Client-Cert).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" plain-port' -l 'plain-port' -d 'With TLS: a second, plain port for ws:// and http:// (env OCPPD_PLAIN_PORT; profile 2 and 3 stations are refused there).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" public-url' -l 'public-url' -d 'How chargers reach ocppd, e.g. https://csms.example.com: the base of its upload URLs (env OCPPD_PUBLIC_URL).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" files-dir' -l 'files-dir' -d 'Directory of kept files: uploads, firmware (env OCPPD_FILES_DIR, default DATA_DIR/files).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" max-upload-size' -l 'max-upload-size' -d 'Largest file a charger may upload, in bytes; larger get 413 (env OCPPD_MAX_UPLOAD_SIZE, default 268435456).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" files-retention-days' -l 'files-retention-days' -d 'Days charger uploads (diagnostics, logs) are kept (env OCPPD_FILES_RETENTION_DAYS; default: until removed).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" files-max-total' -l 'files-max-total' -d 'Bytes of charger uploads kept in all, the oldest removed first (env OCPPD_FILES_MAX_TOTAL; default: no bound).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" audit-retention-days' -l 'audit-retention-days' -d 'Days the audit log keeps each write and command (env OCPPD_AUDIT_RETENTION_DAYS, default 400).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" webhook-allow-private' -l 'webhook-allow-private' -d 'Let webhooks point at loopback and link-local addresses, which are refused otherwise (env OCPPD_WEBHOOK_ALLOW_PRIVATE=1).'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" webhook-give-up-after' -l 'webhook-give-up-after' -d 'Seconds a webhook may fail before it is disabled (env OCPPD_WEBHOOK_GIVE_UP_AFTER, default 86400: a day).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" station-ca-cert' -l 'station-ca-cert' -d 'PEM certificate of the station CA: ocppd signs the CSRs of SignCertificate with it (env OCPPD_STATION_CA_CERT).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" station-ca-key' -l 'station-ca-key' -d 'PEM private key of --station-ca-cert (env OCPPD_STATION_CA_KEY).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" station-cert-organization' -l 'station-cert-organization' -d 'The organization (O) a station\'s CSR must name to be signed (env OCPPD_STATION_CERT_ORGANIZATION; default any).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" station-cert-days' -l 'station-cert-days' -d 'Days a station certificate signed by the station CA is valid (env OCPPD_STATION_CERT_DAYS, default 365).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" node-id' -l 'node-id' -d 'This node\'s id in a cluster of ocppd on one MariaDB Galera cluster; turns cluster mode on (env OCPPD_NODE_ID).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" node-url' -l 'node-url' -d 'Where the other nodes reach this one, e.g. http://10.0.0.11:3000 (env OCPPD_NODE_URL; cluster mode).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" cluster-secret' -l 'cluster-secret' -d 'Shared secret of node-to-node calls, 16 characters at least (env OCPPD_CLUSTER_SECRET; cluster mode).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" cluster-secret-file' -l 'cluster-secret-file' -d 'File holding the cluster secret (env OCPPD_CLUSTER_SECRET_FILE; cluster mode).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" config' -l 'config' -d 'Config file of KEY=VALUE lines (env OCPPD_CONFIG).' -rfka ''
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" version' -l 'version' -d 'Show the version.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_positional "ocppd" -eq 1' -fa 'token' -d 'Manage the REST API\'s bearer token.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_positional "ocppd" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd token" version' -l 'version' -d 'Show the version.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd token" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_positional "ocppd token" -eq 1' -fa 'rotate' -d 'Replace the generated API token: prints the new one, which a running ocppd takes within seconds.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd token rotate" version' -l 'version' -d 'Show the version.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd token rotate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ocppd' -n '__ocppd_should_offer_completions_for_flags_or_options "ocppd help" version' -l 'version' -d 'Show the version.'
