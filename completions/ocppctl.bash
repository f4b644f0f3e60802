#!/bin/bash

__ocppctl_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__ocppctl_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__ocppctl_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__ocppctl_add_custom_completions() {
    local typed="${cur//\\/}" completion
    typed="${typed#[\"\']}"
    while IFS='' read -r completion; do
        if [[ -n "${completion}" && "${completion}" == "${typed}"* ]]; then
            COMPREPLY+=("$(printf '%q' "${completion}")")
        fi
    done <<<"${1}"
}

__ocppctl_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_ocppctl() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    stations|sessions|rfid|reservations|reset|unlock|start|stop|availability|config|reserve|cancel-reservation|trigger|clear-cache|data-transfer|firmware|diagnostics|logs|local-list|charging-profile|events|top|shell|login|status|metrics|openapi|commands|token|cluster|security-events|certificate-requests|files|sites|tokens|audit|webhooks|help)
        # Offer subcommand argument completions
        "_ocppctl_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'stations sessions rfid reservations reset unlock start stop availability config reserve cancel-reservation trigger clear-cache data-transfer firmware diagnostics logs local-list charging-profile events top shell login status metrics openapi commands token cluster security-events certificate-requests files sites tokens audit webhooks help' -- "${cur}"))
        ;;
    esac
}

_ocppctl_stations() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|accept|set|remove|history|unknown|renew-certificate|set-profile)
        # Offer subcommand argument completions
        "_ocppctl_stations_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show accept set remove history unknown renew-certificate set-profile' -- "${cur}"))
        ;;
    esac
}

_ocppctl_stations_list() {
    repeating_flags=()
    non_repeating_flags=(--connected --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_stations_show() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stations show -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_stations_accept() {
    repeating_flags=()
    non_repeating_flags=(--no-authorization-key --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --authorization-key --security-profile --description --site)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--authorization-key')
        return
        ;;
    '--security-profile')
        return
        ;;
    '--description')
        return
        ;;
    '--site')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stations accept -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_stations_set() {
    repeating_flags=()
    non_repeating_flags=(--no-authorization-key --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --status --authorization-key --security-profile --description --site)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--status')
        __ocppctl_add_completions -W 'Accepted'$'\n''Pending'$'\n''Rejected'
        return
        ;;
    '--authorization-key')
        return
        ;;
    '--security-profile')
        return
        ;;
    '--description')
        return
        ;;
    '--site')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stations set -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_stations_remove() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stations remove -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_stations_history() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --connector --limit --offset)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--connector')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stations history -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_stations_unknown() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_stations_renew-certificate() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --wait)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--wait')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stations renew-certificate -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_stations_set-profile() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --root-ca --wait)
    __ocppctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--root-ca')
        __ocppctl_add_completions -f
        return
        ;;
    '--wait')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stations set-profile -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_sessions() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|export)
        # Offer subcommand argument completions
        "_ocppctl_sessions_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show export' -- "${cur}"))
        ;;
    esac
}

_ocppctl_sessions_list() {
    repeating_flags=()
    non_repeating_flags=(--active --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --station --tag --since --until --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion sessions list -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--tag')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion sessions list -- --tag "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--since')
        return
        ;;
    '--until')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_sessions_show() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_sessions_export() {
    repeating_flags=()
    non_repeating_flags=(--active --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --station --tag --since --until -O)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion sessions export -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--tag')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion sessions export -- --tag "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--since')
        return
        ;;
    '--until')
        return
        ;;
    '-O')
        return
        ;;
    esac
}

_ocppctl_rfid() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|add|block|activate|delete|unknown)
        # Offer subcommand argument completions
        "_ocppctl_rfid_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show add block activate delete unknown' -- "${cur}"))
        ;;
    esac
}

_ocppctl_rfid_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_rfid_show() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion rfid show -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_rfid_add() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --expires --parent --description)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--expires')
        return
        ;;
    '--parent')
        return
        ;;
    '--description')
        return
        ;;
    esac
}

_ocppctl_rfid_block() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion rfid block -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_rfid_activate() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion rfid activate -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_rfid_delete() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion rfid delete -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_rfid_unknown() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_reservations() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_reset() {
    repeating_flags=()
    non_repeating_flags=(--hard --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion reset -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_unlock() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion unlock -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_start() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --tag --connector)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--tag')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion start -- --tag "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--connector')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion start -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_stop() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion stop -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_availability() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 3

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion availability -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    3)
        __ocppctl_add_completions -W 'operative'$'\n''inoperative'
        return
        ;;
    esac
}

_ocppctl_config() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    get|set)
        # Offer subcommand argument completions
        "_ocppctl_config_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'get set' -- "${cur}"))
        ;;
    esac
}

_ocppctl_config_get() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion config get -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_config_set() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 3

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion config set -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_reserve() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --connector --tag --expires --parent --reservation-id)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--connector')
        return
        ;;
    '--tag')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion reserve -- --tag "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--expires')
        return
        ;;
    '--parent')
        return
        ;;
    '--reservation-id')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion reserve -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_cancel-reservation() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion cancel-reservation -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_trigger() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --connector)
    __ocppctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--connector')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion trigger -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_clear-cache() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion clear-cache -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_data-transfer() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --vendor --message-id --data)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--vendor')
        return
        ;;
    '--message-id')
        return
        ;;
    '--data')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion data-transfer -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_firmware() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    push|update)
        # Offer subcommand argument completions
        "_ocppctl_firmware_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'push update' -- "${cur}"))
        ;;
    esac
}

_ocppctl_firmware_push() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --at --retries --retry-interval --wait)
    __ocppctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--at')
        return
        ;;
    '--retries')
        return
        ;;
    '--retry-interval')
        return
        ;;
    '--wait')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion firmware push -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    2)
        __ocppctl_add_completions -f
        return
        ;;
    esac
}

_ocppctl_firmware_update() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --location --firmware-id --retrieve-at --retries --retry-interval)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--location')
        return
        ;;
    '--firmware-id')
        return
        ;;
    '--retrieve-at')
        return
        ;;
    '--retries')
        return
        ;;
    '--retry-interval')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion firmware update -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_diagnostics() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout -O --output-file --location --retries --retry-interval --wait --start-time --stop-time)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '-O'|'--output-file')
        return
        ;;
    '--location')
        return
        ;;
    '--retries')
        return
        ;;
    '--retry-interval')
        return
        ;;
    '--wait')
        return
        ;;
    '--start-time')
        return
        ;;
    '--stop-time')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion diagnostics -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_logs() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout -O --output-file --location --retries --retry-interval --wait --type --oldest --latest)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '-O'|'--output-file')
        return
        ;;
    '--location')
        return
        ;;
    '--retries')
        return
        ;;
    '--retry-interval')
        return
        ;;
    '--wait')
        return
        ;;
    '--type')
        __ocppctl_add_completions -W 'DiagnosticsLog'$'\n''SecurityLog'
        return
        ;;
    '--oldest')
        return
        ;;
    '--latest')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion logs -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_local-list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    get|send)
        # Offer subcommand argument completions
        "_ocppctl_local-list_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'get send' -- "${cur}"))
        ;;
    esac
}

_ocppctl_local-list_get() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion local-list get -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_local-list_send() {
    repeating_flags=()
    non_repeating_flags=(--differential --version -h --help)
    repeating_options=(--tag)
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --version)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--version')
        return
        ;;
    '--tag')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion local-list send -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_charging-profile() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    set|clear|composite)
        # Offer subcommand argument completions
        "_ocppctl_charging-profile_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'set clear composite' -- "${cur}"))
        ;;
    esac
}

_ocppctl_charging-profile_set() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --connector --file)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--connector')
        return
        ;;
    '--file')
        __ocppctl_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion charging-profile set -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_charging-profile_clear() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --id --connector --purpose --stack-level)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--id')
        return
        ;;
    '--connector')
        return
        ;;
    '--purpose')
        return
        ;;
    '--stack-level')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion charging-profile clear -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_charging-profile_composite() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --connector --duration --unit)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--connector')
        return
        ;;
    '--duration')
        return
        ;;
    '--unit')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion charging-profile composite -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_events() {
    repeating_flags=()
    non_repeating_flags=(--heartbeats --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --station --count)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion events -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--count')
        return
        ;;
    esac
}

_ocppctl_top() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_shell() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_login() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_status() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_metrics() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_openapi() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_commands() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --station --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion commands -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_token() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    rotate)
        # Offer subcommand argument completions
        "_ocppctl_token_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'rotate' -- "${cur}"))
        ;;
    esac
}

_ocppctl_token_rotate() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_cluster() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    nodes)
        # Offer subcommand argument completions
        "_ocppctl_cluster_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'nodes' -- "${cur}"))
        ;;
    esac
}

_ocppctl_cluster_nodes() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_security-events() {
    repeating_flags=()
    non_repeating_flags=(--follow --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion security-events -- positional@0 "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_ocppctl_certificate-requests() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|sign|reject)
        # Offer subcommand argument completions
        "_ocppctl_certificate-requests_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list sign reject' -- "${cur}"))
        ;;
    esac
}

_ocppctl_certificate-requests_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --station --status --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion certificate-requests list -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--status')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_certificate-requests_sign() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    2)
        __ocppctl_add_completions -f
        return
        ;;
    esac
}

_ocppctl_certificate-requests_reject() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_files() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|get|rm)
        # Offer subcommand argument completions
        "_ocppctl_files_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list get rm' -- "${cur}"))
        ;;
    esac
}

_ocppctl_files_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --station --kind --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion files list -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--kind')
        __ocppctl_add_completions -W 'diagnostics'$'\n''log'$'\n''firmware'
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_files_get() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout -O --output-file)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '-O'|'--output-file')
        return
        ;;
    esac
}

_ocppctl_files_rm() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_sites() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|set|rm)
        # Offer subcommand argument completions
        "_ocppctl_sites_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show set rm' -- "${cur}"))
        ;;
    esac
}

_ocppctl_sites_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_sites_show() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_sites_set() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --unit --phases --voltage --min-per-connector --fallback-limit --description)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--unit')
        __ocppctl_add_completions -W 'A'$'\n''W'
        return
        ;;
    '--phases')
        return
        ;;
    '--voltage')
        return
        ;;
    '--min-per-connector')
        return
        ;;
    '--fallback-limit')
        return
        ;;
    '--description')
        return
        ;;
    esac
}

_ocppctl_sites_rm() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_tokens() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    add|list|rm)
        # Offer subcommand argument completions
        "_ocppctl_tokens_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'add list rm' -- "${cur}"))
        ;;
    esac
}

_ocppctl_tokens_add() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --role --expires-at)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--role')
        __ocppctl_add_completions -W 'viewer'$'\n''technician'$'\n''admin'
        return
        ;;
    '--expires-at')
        return
        ;;
    esac
}

_ocppctl_tokens_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_tokens_rm() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_audit() {
    repeating_flags=()
    non_repeating_flags=(--follow --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --by --station --since --until --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--by')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion audit -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--since')
        return
        ;;
    '--until')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_webhooks() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    add|list|rm|test|deliveries)
        # Offer subcommand argument completions
        "_ocppctl_webhooks_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'add list rm test deliveries' -- "${cur}"))
        ;;
    esac
}

_ocppctl_webhooks_add() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--event --station)
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --secret)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--event')
        return
        ;;
    '--station')
        __ocppctl_add_custom_completions "$(__ocppctl_custom_complete ---completion webhooks add -- --station "${COMP_CWORD}" "$(__ocppctl_cursor_index_in_current_word)")"
        return
        ;;
    '--secret')
        return
        ;;
    esac
}

_ocppctl_webhooks_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_webhooks_rm() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_webhooks_test() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    esac
}

_ocppctl_webhooks_deliveries() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--server --token --output -o --timeout --connect-timeout --limit --offset)
    __ocppctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--token')
        return
        ;;
    '--output'|'-o')
        __ocppctl_add_completions -W 'table'$'\n''json'
        return
        ;;
    '--timeout')
        return
        ;;
    '--connect-timeout')
        return
        ;;
    '--limit')
        return
        ;;
    '--offset')
        return
        ;;
    esac
}

_ocppctl_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __ocppctl_offer_flags_options -1
}

complete -o filenames -F _ocppctl ocppctl
