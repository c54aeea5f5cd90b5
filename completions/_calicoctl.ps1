
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'calicoctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'calicoctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'calicoctl' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Set the log level (one of panic, fatal, error, warn, info, debug)')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Set the log level (one of panic, fatal, error, warn, info, debug)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print where to find version information')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a resource by file, directory or stdin')
            [CompletionResult]::new('replace', 'replace', [CompletionResultType]::ParameterValue, 'Replace a resource by file, directory or stdin')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply a resource by file, directory or stdin. This creates a resource if it does not exist, and replaces a resource if it does exists')
            [CompletionResult]::new('patch', 'patch', [CompletionResultType]::ParameterValue, 'Patch a preexisting resource in place')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a resource identified by file, directory, stdin or resource type and name')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Get a resource identified by file, directory, stdin or resource type and name')
            [CompletionResult]::new('label', 'label', [CompletionResultType]::ParameterValue, 'Add or update labels of resources')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Validate a resource by file, directory or stdin without applying it')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Convert config files between different API versions')
            [CompletionResult]::new('ipam', 'ipam', [CompletionResultType]::ParameterValue, 'IP address management')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Display the version of this binary')
            [CompletionResult]::new('datastore', 'datastore', [CompletionResultType]::ParameterValue, 'Calico datastore management')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Generate a shell completion script')
            [CompletionResult]::new('node', 'node', [CompletionResultType]::ParameterValue, 'Calico node management')
            [CompletionResult]::new('cluster', 'cluster', [CompletionResultType]::ParameterValue, 'Access cluster information')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;create' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--skip-empty', '--skip-empty', [CompletionResultType]::ParameterName, 'Do not error if any files are empty')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate and report what would be done, but write nothing (extension)')
            [CompletionResult]::new('--skip-exists', '--skip-exists', [CompletionResultType]::ParameterName, 'Skip over and treat as successful any attempts to create an entry that already exists')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;replace' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--skip-empty', '--skip-empty', [CompletionResultType]::ParameterName, 'Do not error if any files are empty')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate and report what would be done, but write nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;apply' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--skip-empty', '--skip-empty', [CompletionResultType]::ParameterName, 'Do not error if any files are empty')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate and report what would be done, but write nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;patch' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Spec to use to patch the resource: a JSON object, merged into the resource')
            [CompletionResult]::new('--patch', '--patch', [CompletionResultType]::ParameterName, 'Spec to use to patch the resource: a JSON object, merged into the resource')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Format of patch type: strategic (default), json, merge. All behave as a merge patch')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Format of patch type: strategic (default), json, merge. All behave as a merge patch')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate the patched resource and report, but write nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;delete' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Filename to use to delete the resource. If set to "-" loads from stdin')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Filename to use to delete the resource. If set to "-" loads from stdin')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--skip-empty', '--skip-empty', [CompletionResultType]::ParameterName, 'Do not error if any files are empty')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Skip over and treat as successful, resources that don''t exist')
            [CompletionResult]::new('--skip-not-exists', '--skip-not-exists', [CompletionResultType]::ParameterName, 'Skip over and treat as successful, resources that don''t exist')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what would be deleted, but delete nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;get' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Filename to use to get the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Filename to use to get the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. One of: yaml, json, ps, wide, custom-columns=..., go-template=..., go-template-file=..., jsonpath=...')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. One of: yaml, json, ps, wide, custom-columns=..., go-template=..., go-template-file=..., jsonpath=...')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only list resources whose labels match this Calico selector (extension)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only list resources whose labels match this Calico selector (extension)')
            [CompletionResult]::new('--allow-missing-template-keys', '--allow-missing-template-keys', [CompletionResultType]::ParameterName, 'If true, ignore any errors in templates when a field or map key is missing in the template. Only applies to go-template (map keys) and jsonpath output formats (extension, as kubectl''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--skip-empty', '--skip-empty', [CompletionResultType]::ParameterName, 'Do not error if any files are empty')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'If present, list the requested object(s) across all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'If present, list the requested object(s) across all namespaces')
            [CompletionResult]::new('--export', '--export', [CompletionResultType]::ParameterName, 'If present, returns the requested object(s) stripped of cluster-specific information. This flag will be ignored if NAME is not specified')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;label' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'If true, overwrite the value when the key is already present in labels. Otherwise reports error when the labeled resource already have the key in its labels')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'If true, remove the specified key in labels of the resource. Reports error when specified key does not exist')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what would change, but write nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;validate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Filename to validate. If set to "-" loads from stdin')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Filename to validate. If set to "-" loads from stdin')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Process the filename specified in -f or --filename recursively')
            [CompletionResult]::new('--skip-empty', '--skip-empty', [CompletionResultType]::ParameterName, 'Do not error if any files are empty')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;convert' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Filename to use to create the resource. If set to "-" loads from stdin')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format. One of: yaml or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format. One of: yaml or json')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--ignore-validation', '--ignore-validation', [CompletionResultType]::ParameterName, 'Do not validate the converted manifest')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;ipam' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the integrity of the IPAM datastructures')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Release a Calico assigned IP address')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show details of a Calico configuration, assigned IP address, or of overall IP usage')
            [CompletionResult]::new('split', 'split', [CompletionResultType]::ParameterValue, 'Split the IP pool specified by the CIDR into the specified number of smaller IPPools')
            [CompletionResult]::new('configure', 'configure', [CompletionResultType]::ParameterValue, 'Configure IPAM')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;ipam;check' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write a report of the allocations to FILE (JSON), for `ipam release --from-report`. The values `json` and `yaml` instead print the findings on stdout in that format (extension; write `./json` for a report file named json)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write a report of the allocations to FILE (JSON), for `ipam release --from-report`. The values `json` and `yaml` instead print the findings on stdout in that format (extension; write `./json` for a report file named json)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Accepted for compatibility; Kubernetes services are not checked')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--show-all-ips', '--show-all-ips', [CompletionResultType]::ParameterName, 'Print all the IPs in use, not only those that are problems')
            [CompletionResult]::new('--show-problem-ips', '--show-problem-ips', [CompletionResultType]::ParameterName, 'Print all the IPs that are problems (leaked, unallocated, not in a pool)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;ipam;release' {
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'IP address to release')
            [CompletionResult]::new('--from-report', '--from-report', [CompletionResultType]::ParameterName, 'Release all IPs reported as leaked in this report (from `ipam check -o`). May be given several times: only IPs leaked in every report are released')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Force release of leaked IPs even if the report is from another calicoctl version or the datastore is not locked. Each release is a compare-and-swap on the allocation the report saw, and addresses an endpoint or node uses by now are kept; only a pod whose ADD is still between assigning its address and writing its endpoint can be missed, which the datastore lock rules out. With --ip: release the address even though a workload endpoint or node uses it (refused otherwise: the next pod could be given it)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what would be released, but release nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;ipam;show' {
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'Report whether this specific IP address is in use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (extension): json or yaml, with the schema documented in `calicoctl-ipam-show(1)`. Without it, calicoctl''s tables')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (extension): json or yaml, with the schema documented in `calicoctl-ipam-show(1)`. Without it, calicoctl''s tables')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--show-blocks', '--show-blocks', [CompletionResultType]::ParameterName, 'Show detailed information for IP blocks as well as pools')
            [CompletionResult]::new('--show-borrowed', '--show-borrowed', [CompletionResultType]::ParameterName, 'Show detailed information for "borrowed" IP addresses')
            [CompletionResult]::new('--show-configuration', '--show-configuration', [CompletionResultType]::ParameterName, 'Show current Calico IPAM configuration')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'Show used, reserved and free addresses per pool (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;ipam;split' {
            [CompletionResult]::new('--cidr', '--cidr', [CompletionResultType]::ParameterName, 'The CIDR of the IP pool to split')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The name of the IP pool to split')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the pools the split would create, but change nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;ipam;configure' {
            [CompletionResult]::new('--strictaffinity', '--strictaffinity', [CompletionResultType]::ParameterName, 'Set StrictAffinity to true/false. When StrictAffinity is true, borrowing IP addresses is not allowed')
            [CompletionResult]::new('--max-blocks-per-host', '--max-blocks-per-host', [CompletionResultType]::ParameterName, 'Set the maximum number of blocks that can be affine to each host')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check the new settings against Calico''s rules, but write nothing (extension)')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;ipam;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the integrity of the IPAM datastructures')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Release a Calico assigned IP address')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show details of a Calico configuration, assigned IP address, or of overall IP usage')
            [CompletionResult]::new('split', 'split', [CompletionResultType]::ParameterValue, 'Split the IP pool specified by the CIDR into the specified number of smaller IPPools')
            [CompletionResult]::new('configure', 'configure', [CompletionResultType]::ParameterValue, 'Configure IPAM')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;ipam;help;check' {
            break
        }
        'calicoctl;ipam;help;release' {
            break
        }
        'calicoctl;ipam;help;show' {
            break
        }
        'calicoctl;ipam;help;split' {
            break
        }
        'calicoctl;ipam;help;configure' {
            break
        }
        'calicoctl;ipam;help;help' {
            break
        }
        'calicoctl;version' {
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Poll for changes to the cluster information at a frequency specified using Go duration format (e.g. 1m, 10s). Polling stops when interrupted')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Display only the client version')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;datastore' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Migrate the contents of an etcdv3 datastore to a Kubernetes datastore')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;datastore;migrate' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Lock the datastore to prevent changes from occurring')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Unlock the datastore to allow changes once the migration is completed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;datastore;migrate;lock' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;datastore;migrate;unlock' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;datastore;migrate;help' {
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Lock the datastore to prevent changes from occurring')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Unlock the datastore to allow changes once the migration is completed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;datastore;migrate;help;lock' {
            break
        }
        'calicoctl;datastore;migrate;help;unlock' {
            break
        }
        'calicoctl;datastore;migrate;help;help' {
            break
        }
        'calicoctl;datastore;help' {
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Migrate the contents of an etcdv3 datastore to a Kubernetes datastore')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;datastore;help;migrate' {
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Lock the datastore to prevent changes from occurring')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Unlock the datastore to allow changes once the migration is completed')
            break
        }
        'calicoctl;datastore;help;migrate;lock' {
            break
        }
        'calicoctl;datastore;help;migrate;unlock' {
            break
        }
        'calicoctl;datastore;help;help' {
            break
        }
        'calicoctl;completion' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;node' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the Calico node container image (not applicable: start calico-node instead)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'View the current status of a Calico node')
            [CompletionResult]::new('diags', 'diags', [CompletionResultType]::ParameterValue, 'Gather a diagnostics bundle for a Calico node')
            [CompletionResult]::new('checksystem', 'checksystem', [CompletionResultType]::ParameterValue, 'Verify the compute host is able to run a Calico node instance')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;node;run' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;node;status' {
            [CompletionResult]::new('--nodename', '--nodename', [CompletionResultType]::ParameterName, 'This node''s name (else /var/lib/calico/nodename, else the host name, as calico-node decides it)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;node;diags' {
            [CompletionResult]::new('--nodename', '--nodename', [CompletionResultType]::ParameterName, 'This node''s name (else /var/lib/calico/nodename, else the host name)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the bundle (default: calico-node-diags-<time>.tar.gz here)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write the bundle (default: calico-node-diags-<time>.tar.gz here)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;node;checksystem' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;node;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the Calico node container image (not applicable: start calico-node instead)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'View the current status of a Calico node')
            [CompletionResult]::new('diags', 'diags', [CompletionResultType]::ParameterValue, 'Gather a diagnostics bundle for a Calico node')
            [CompletionResult]::new('checksystem', 'checksystem', [CompletionResultType]::ParameterValue, 'Verify the compute host is able to run a Calico node instance')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;node;help;run' {
            break
        }
        'calicoctl;node;help;status' {
            break
        }
        'calicoctl;node;help;diags' {
            break
        }
        'calicoctl;node;help;checksystem' {
            break
        }
        'calicoctl;node;help;help' {
            break
        }
        'calicoctl;cluster' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('diags', 'diags', [CompletionResultType]::ParameterValue, 'Collect snapshot of diagnostic info related to Calico at the cluster-level')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;cluster;diags' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the bundle (default: calico-cluster-diags-<time>.tar.gz here)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write the bundle (default: calico-cluster-diags-<time>.tar.gz here)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use (accepted for compatibility; unused)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the file containing connection configuration in YAML or JSON format')
            [CompletionResult]::new('--datastore-type', '--datastore-type', [CompletionResultType]::ParameterName, 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]')
            [CompletionResult]::new('--etcd-endpoints', '--etcd-endpoints', [CompletionResultType]::ParameterName, 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]')
            [CompletionResult]::new('--etcd-username', '--etcd-username', [CompletionResultType]::ParameterName, 'etcd user name [env: ETCD_USERNAME]')
            [CompletionResult]::new('--etcd-key-file', '--etcd-key-file', [CompletionResultType]::ParameterName, 'etcd client key file [env: ETCD_KEY_FILE]')
            [CompletionResult]::new('--etcd-cert-file', '--etcd-cert-file', [CompletionResultType]::ParameterName, 'etcd client certificate file [env: ETCD_CERT_FILE]')
            [CompletionResult]::new('--etcd-ca-cert-file', '--etcd-ca-cert-file', [CompletionResultType]::ParameterName, 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]')
            [CompletionResult]::new('--datastore-path', '--datastore-path', [CompletionResultType]::ParameterName, 'The embedded datastore''s file [env: CALICO_DATASTORE_PATH]')
            [CompletionResult]::new('--datastore-timeout', '--datastore-timeout', [CompletionResultType]::ParameterName, 'Timeout for each datastore request, in seconds')
            [CompletionResult]::new('--allow-version-mismatch', '--allow-version-mismatch', [CompletionResultType]::ParameterName, 'Allow client and cluster versions mismatch')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'calicoctl;cluster;help' {
            [CompletionResult]::new('diags', 'diags', [CompletionResultType]::ParameterValue, 'Collect snapshot of diagnostic info related to Calico at the cluster-level')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;cluster;help;diags' {
            break
        }
        'calicoctl;cluster;help;help' {
            break
        }
        'calicoctl;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a resource by file, directory or stdin')
            [CompletionResult]::new('replace', 'replace', [CompletionResultType]::ParameterValue, 'Replace a resource by file, directory or stdin')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply a resource by file, directory or stdin. This creates a resource if it does not exist, and replaces a resource if it does exists')
            [CompletionResult]::new('patch', 'patch', [CompletionResultType]::ParameterValue, 'Patch a preexisting resource in place')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a resource identified by file, directory, stdin or resource type and name')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Get a resource identified by file, directory, stdin or resource type and name')
            [CompletionResult]::new('label', 'label', [CompletionResultType]::ParameterValue, 'Add or update labels of resources')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Validate a resource by file, directory or stdin without applying it')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Convert config files between different API versions')
            [CompletionResult]::new('ipam', 'ipam', [CompletionResultType]::ParameterValue, 'IP address management')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Display the version of this binary')
            [CompletionResult]::new('datastore', 'datastore', [CompletionResultType]::ParameterValue, 'Calico datastore management')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Generate a shell completion script')
            [CompletionResult]::new('node', 'node', [CompletionResultType]::ParameterValue, 'Calico node management')
            [CompletionResult]::new('cluster', 'cluster', [CompletionResultType]::ParameterValue, 'Access cluster information')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'calicoctl;help;create' {
            break
        }
        'calicoctl;help;replace' {
            break
        }
        'calicoctl;help;apply' {
            break
        }
        'calicoctl;help;patch' {
            break
        }
        'calicoctl;help;delete' {
            break
        }
        'calicoctl;help;get' {
            break
        }
        'calicoctl;help;label' {
            break
        }
        'calicoctl;help;validate' {
            break
        }
        'calicoctl;help;convert' {
            break
        }
        'calicoctl;help;ipam' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the integrity of the IPAM datastructures')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Release a Calico assigned IP address')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show details of a Calico configuration, assigned IP address, or of overall IP usage')
            [CompletionResult]::new('split', 'split', [CompletionResultType]::ParameterValue, 'Split the IP pool specified by the CIDR into the specified number of smaller IPPools')
            [CompletionResult]::new('configure', 'configure', [CompletionResultType]::ParameterValue, 'Configure IPAM')
            break
        }
        'calicoctl;help;ipam;check' {
            break
        }
        'calicoctl;help;ipam;release' {
            break
        }
        'calicoctl;help;ipam;show' {
            break
        }
        'calicoctl;help;ipam;split' {
            break
        }
        'calicoctl;help;ipam;configure' {
            break
        }
        'calicoctl;help;version' {
            break
        }
        'calicoctl;help;datastore' {
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Migrate the contents of an etcdv3 datastore to a Kubernetes datastore')
            break
        }
        'calicoctl;help;datastore;migrate' {
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Lock the datastore to prevent changes from occurring')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Unlock the datastore to allow changes once the migration is completed')
            break
        }
        'calicoctl;help;datastore;migrate;lock' {
            break
        }
        'calicoctl;help;datastore;migrate;unlock' {
            break
        }
        'calicoctl;help;completion' {
            break
        }
        'calicoctl;help;node' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the Calico node container image (not applicable: start calico-node instead)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'View the current status of a Calico node')
            [CompletionResult]::new('diags', 'diags', [CompletionResultType]::ParameterValue, 'Gather a diagnostics bundle for a Calico node')
            [CompletionResult]::new('checksystem', 'checksystem', [CompletionResultType]::ParameterValue, 'Verify the compute host is able to run a Calico node instance')
            break
        }
        'calicoctl;help;node;run' {
            break
        }
        'calicoctl;help;node;status' {
            break
        }
        'calicoctl;help;node;diags' {
            break
        }
        'calicoctl;help;node;checksystem' {
            break
        }
        'calicoctl;help;cluster' {
            [CompletionResult]::new('diags', 'diags', [CompletionResultType]::ParameterValue, 'Collect snapshot of diagnostic info related to Calico at the cluster-level')
            break
        }
        'calicoctl;help;cluster;diags' {
            break
        }
        'calicoctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
