# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_calicoctl_global_optspecs
    string join \n l/log-level= context= allow-version-mismatch version c/config= datastore-type= etcd-endpoints= etcd-username= etcd-key-file= etcd-cert-file= etcd-ca-cert-file= datastore-path= datastore-timeout= h/help
end

function __fish_calicoctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_calicoctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_calicoctl_using_subcommand
    set -l cmd (__fish_calicoctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c calicoctl -n "__fish_calicoctl_needs_command" -s l -l log-level -d 'Set the log level (one of panic, fatal, error, warn, info, debug)' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -l version -d 'Print where to find version information'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "create" -d 'Create a resource by file, directory or stdin'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "replace" -d 'Replace a resource by file, directory or stdin'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "apply" -d 'Apply a resource by file, directory or stdin. This creates a resource if it does not exist, and replaces a resource if it does exists'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "patch" -d 'Patch a preexisting resource in place'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "delete" -d 'Delete a resource identified by file, directory, stdin or resource type and name'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "get" -d 'Get a resource identified by file, directory, stdin or resource type and name'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "label" -d 'Add or update labels of resources'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "validate" -d 'Validate a resource by file, directory or stdin without applying it'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "convert" -d 'Convert config files between different API versions'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "ipam" -d 'IP address management'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "version" -d 'Display the version of this binary'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "datastore" -d 'Calico datastore management'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "completion" -d 'Generate a shell completion script'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "node" -d 'Calico node management'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "cluster" -d 'Access cluster information'
complete -c calicoctl -n "__fish_calicoctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -s f -l filename -d 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -s n -l namespace -d 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -s R -l recursive -d 'Process the filename specified in -f or --filename recursively'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l skip-empty -d 'Do not error if any files are empty'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l dry-run -d 'Validate and report what would be done, but write nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l skip-exists -d 'Skip over and treat as successful any attempts to create an entry that already exists'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -s f -l filename -d 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -s n -l namespace -d 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -s R -l recursive -d 'Process the filename specified in -f or --filename recursively'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l skip-empty -d 'Do not error if any files are empty'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l dry-run -d 'Validate and report what would be done, but write nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand replace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -s f -l filename -d 'Filename to use to create the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -s n -l namespace -d 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -s R -l recursive -d 'Process the filename specified in -f or --filename recursively'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l skip-empty -d 'Do not error if any files are empty'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l dry-run -d 'Validate and report what would be done, but write nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -s p -l patch -d 'Spec to use to patch the resource: a JSON object, merged into the resource' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -s t -l type -d 'Format of patch type: strategic (default), json, merge. All behave as a merge patch' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -s n -l namespace -d 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l dry-run -d 'Validate the patched resource and report, but write nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand patch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -s f -l filename -d 'Filename to use to delete the resource. If set to "-" loads from stdin' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -s n -l namespace -d 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -s R -l recursive -d 'Process the filename specified in -f or --filename recursively'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l skip-empty -d 'Do not error if any files are empty'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -s s -l skip-not-exists -d 'Skip over and treat as successful, resources that don\'t exist'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l dry-run -d 'Report what would be deleted, but delete nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s f -l filename -d 'Filename to use to get the resource. If set to "-" loads from stdin. If filename is a directory, this command is invoked for each .json .yaml and .yml file within that directory, terminating after the first failure' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s o -l output -d 'Output format. One of: yaml, json, ps, wide, custom-columns=..., go-template=..., go-template-file=..., jsonpath=...' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s n -l namespace -d 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s l -l selector -d 'Only list resources whose labels match this Calico selector (extension)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l allow-missing-template-keys -d 'If true, ignore any errors in templates when a field or map key is missing in the template. Only applies to go-template (map keys) and jsonpath output formats (extension, as kubectl\'s)' -r -f -a "true\t''
false\t''"
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s R -l recursive -d 'Process the filename specified in -f or --filename recursively'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l skip-empty -d 'Do not error if any files are empty'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s A -l all-namespaces -d 'If present, list the requested object(s) across all namespaces'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l export -d 'If present, returns the requested object(s) stripped of cluster-specific information. This flag will be ignored if NAME is not specified'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -s n -l namespace -d 'Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and WorkloadEndpoint. Uses the default namespace if not specified' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l overwrite -d 'If true, overwrite the value when the key is already present in labels. Otherwise reports error when the labeled resource already have the key in its labels'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l remove -d 'If true, remove the specified key in labels of the resource. Reports error when specified key does not exist'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l dry-run -d 'Report what would change, but write nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand label" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -s f -l filename -d 'Filename to validate. If set to "-" loads from stdin' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -s R -l recursive -d 'Process the filename specified in -f or --filename recursively'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l skip-empty -d 'Do not error if any files are empty'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -s f -l filename -d 'Filename to use to create the resource. If set to "-" loads from stdin' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -s o -l output -d 'Output format. One of: yaml or json' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l ignore-validation -d 'Do not validate the converted manifest'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -f -a "check" -d 'Check the integrity of the IPAM datastructures'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -f -a "release" -d 'Release a Calico assigned IP address'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -f -a "show" -d 'Show details of a Calico configuration, assigned IP address, or of overall IP usage'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -f -a "split" -d 'Split the IP pool specified by the CIDR into the specified number of smaller IPPools'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -f -a "configure" -d 'Configure IPAM'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and not __fish_seen_subcommand_from check release show split configure help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -s o -l output -d 'Write a report of the allocations to FILE (JSON), for `ipam release --from-report`. The values `json` and `yaml` instead print the findings on stdout in that format (extension; write `./json` for a report file named json)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l kubeconfig -d 'Accepted for compatibility; Kubernetes services are not checked' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l show-all-ips -d 'Print all the IPs in use, not only those that are problems'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l show-problem-ips -d 'Print all the IPs that are problems (leaked, unallocated, not in a pool)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l ip -d 'IP address to release' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l from-report -d 'Release all IPs reported as leaked in this report (from `ipam check -o`). May be given several times: only IPs leaked in every report are released' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l force -d 'Force release of leaked IPs even if the report is from another calicoctl version or the datastore is not locked. Each release is a compare-and-swap on the allocation the report saw, and addresses an endpoint or node uses by now are kept; only a pod whose ADD is still between assigning its address and writing its endpoint can be missed, which the datastore lock rules out. With --ip: release the address even though a workload endpoint or node uses it (refused otherwise: the next pod could be given it)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l dry-run -d 'Report what would be released, but release nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from release" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l ip -d 'Report whether this specific IP address is in use' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format (extension): json or yaml, with the schema documented in `calicoctl-ipam-show(1)`. Without it, calicoctl\'s tables' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l show-blocks -d 'Show detailed information for IP blocks as well as pools'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l show-borrowed -d 'Show detailed information for "borrowed" IP addresses'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l show-configuration -d 'Show current Calico IPAM configuration'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l summary -d 'Show used, reserved and free addresses per pool (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l cidr -d 'The CIDR of the IP pool to split' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l name -d 'The name of the IP pool to split' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l dry-run -d 'Show the pools the split would create, but change nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from split" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l strictaffinity -d 'Set StrictAffinity to true/false. When StrictAffinity is true, borrowing IP addresses is not allowed' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l max-blocks-per-host -d 'Set the maximum number of blocks that can be affine to each host' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l dry-run -d 'Check the new settings against Calico\'s rules, but write nothing (extension)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from configure" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check the integrity of the IPAM datastructures'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from help" -f -a "release" -d 'Release a Calico assigned IP address'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show details of a Calico configuration, assigned IP address, or of overall IP usage'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from help" -f -a "split" -d 'Split the IP pool specified by the CIDR into the specified number of smaller IPPools'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from help" -f -a "configure" -d 'Configure IPAM'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand ipam; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l poll -d 'Poll for changes to the cluster information at a frequency specified using Go duration format (e.g. 1m, 10s). Polling stops when interrupted' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l client -d 'Display only the client version'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand version" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -f -a "migrate" -d 'Migrate the contents of an etcdv3 datastore to a Kubernetes datastore'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and not __fish_seen_subcommand_from migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -f -a "lock" -d 'Lock the datastore to prevent changes from occurring'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -f -a "unlock" -d 'Unlock the datastore to allow changes once the migration is completed'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from migrate" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Migrate the contents of an etcdv3 datastore to a Kubernetes datastore'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand datastore; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -f -a "run" -d 'Run the Calico node container image (not applicable: start calico-node instead)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -f -a "status" -d 'View the current status of a Calico node'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -f -a "diags" -d 'Gather a diagnostics bundle for a Calico node'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -f -a "checksystem" -d 'Verify the compute host is able to run a Calico node instance'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and not __fish_seen_subcommand_from run status diags checksystem help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l nodename -d 'This node\'s name (else /var/lib/calico/nodename, else the host name, as calico-node decides it)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l nodename -d 'This node\'s name (else /var/lib/calico/nodename, else the host name)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -s o -l output -d 'Where to write the bundle (default: calico-node-diags-<time>.tar.gz here)' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from diags" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from checksystem" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the Calico node container image (not applicable: start calico-node instead)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "status" -d 'View the current status of a Calico node'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "diags" -d 'Gather a diagnostics bundle for a Calico node'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "checksystem" -d 'Verify the compute host is able to run a Calico node instance'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand node; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -f -a "diags" -d 'Collect snapshot of diagnostic info related to Calico at the cluster-level'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and not __fish_seen_subcommand_from diags help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -s o -l output -d 'Where to write the bundle (default: calico-cluster-diags-<time>.tar.gz here)' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l context -d 'The name of the kubeconfig context to use (accepted for compatibility; unused)' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -s c -l config -d 'Path to the file containing connection configuration in YAML or JSON format' -r -F
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l datastore-type -d 'Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l etcd-endpoints -d 'Comma-separated etcd endpoints [env: ETCD_ENDPOINTS]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l etcd-username -d 'etcd user name [env: ETCD_USERNAME]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l etcd-key-file -d 'etcd client key file [env: ETCD_KEY_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l etcd-cert-file -d 'etcd client certificate file [env: ETCD_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l etcd-ca-cert-file -d 'etcd CA certificate file [env: ETCD_CA_CERT_FILE]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l datastore-path -d 'The embedded datastore\'s file [env: CALICO_DATASTORE_PATH]' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l datastore-timeout -d 'Timeout for each datastore request, in seconds' -r
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -l allow-version-mismatch -d 'Allow client and cluster versions mismatch'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from diags" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from help" -f -a "diags" -d 'Collect snapshot of diagnostic info related to Calico at the cluster-level'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand cluster; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "create" -d 'Create a resource by file, directory or stdin'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "replace" -d 'Replace a resource by file, directory or stdin'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "apply" -d 'Apply a resource by file, directory or stdin. This creates a resource if it does not exist, and replaces a resource if it does exists'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "patch" -d 'Patch a preexisting resource in place'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "delete" -d 'Delete a resource identified by file, directory, stdin or resource type and name'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "get" -d 'Get a resource identified by file, directory, stdin or resource type and name'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "label" -d 'Add or update labels of resources'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "validate" -d 'Validate a resource by file, directory or stdin without applying it'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "convert" -d 'Convert config files between different API versions'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "ipam" -d 'IP address management'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "version" -d 'Display the version of this binary'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "datastore" -d 'Calico datastore management'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "completion" -d 'Generate a shell completion script'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "node" -d 'Calico node management'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "cluster" -d 'Access cluster information'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and not __fish_seen_subcommand_from create replace apply patch delete get label validate convert ipam version datastore completion node cluster help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from ipam" -f -a "check" -d 'Check the integrity of the IPAM datastructures'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from ipam" -f -a "release" -d 'Release a Calico assigned IP address'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from ipam" -f -a "show" -d 'Show details of a Calico configuration, assigned IP address, or of overall IP usage'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from ipam" -f -a "split" -d 'Split the IP pool specified by the CIDR into the specified number of smaller IPPools'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from ipam" -f -a "configure" -d 'Configure IPAM'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from datastore" -f -a "migrate" -d 'Migrate the contents of an etcdv3 datastore to a Kubernetes datastore'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "run" -d 'Run the Calico node container image (not applicable: start calico-node instead)'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "status" -d 'View the current status of a Calico node'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "diags" -d 'Gather a diagnostics bundle for a Calico node'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from node" -f -a "checksystem" -d 'Verify the compute host is able to run a Calico node instance'
complete -c calicoctl -n "__fish_calicoctl_using_subcommand help; and __fish_seen_subcommand_from cluster" -f -a "diags" -d 'Collect snapshot of diagnostic info related to Calico at the cluster-level'
