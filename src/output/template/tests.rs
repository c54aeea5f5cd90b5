use super::*;
use serde_json::json;

fn pool(name: &str, cidr: &str, disabled: bool) -> Value {
    json!({
        "kind": "IPPool",
        "apiVersion": "projectcalico.org/v3",
        "metadata": {"name": name, "resourceVersion": "12", "labels": {"zone": "a", "rack": "1"}},
        "spec": {"cidr": cidr, "blockSize": 26, "nodeSelector": "all()", "disabled": disabled,
                 "allowedUses": ["Workload", "Tunnel"]}
    })
}

fn data() -> Value {
    json!([{
        "kind": "IPPoolList",
        "apiVersion": "projectcalico.org/v3",
        "metadata": {"resourceVersion": "99"},
        "items": [pool("p1", "10.0.0.0/16", false), pool("p2", "fd00::/64", true)]
    }])
}

fn ok(template: &str) -> String {
    render(template, &data()).unwrap_or_else(|e| panic!("{template}: {e}"))
}

fn err(template: &str) -> String {
    render(template, &data()).expect_err(template).0
}

#[test]
fn calicoctl_list_in_a_slice() {
    assert_eq!(
        ok("{{range .}}{{range .Items}}{{.ObjectMeta.Name}},{{end}}{{end}}"),
        "p1,p2,"
    );
    assert_eq!(
        ok(
            "{{range .}}{{.ListMeta.ResourceVersion}} {{.Kind}} {{.APIVersion}} {{.TypeMeta.Kind}}{{end}}"
        ),
        "99 IPPoolList projectcalico.org/v3 IPPoolList"
    );
}

#[test]
fn fields_are_the_go_structs_fields() {
    // Exact Go names; ObjectMeta's fields are promoted; labels are a map.
    assert_eq!(
        ok(
            "{{range (index . 0).Items}}{{.Name}} {{.Spec.CIDR}} {{.Spec.BlockSize}} {{.ResourceVersion}} {{.Labels.zone}}\n{{end}}"
        ),
        "p1 10.0.0.0/16 26 12 a\np2 fd00::/64 26 12 a\n"
    );
    assert_eq!(ok("{{(index . 0).ListMeta.ResourceVersion}}"), "99");
    // A missing map key (or a key of a nil map) is no value, as Go prints it.
    assert_eq!(
        ok(
            "{{range (index . 0).Items}}{{.Labels.nope}} {{.Labels.nope.deeper}} {{.Annotations.x}};{{end}}"
        ),
        "<no value> <no value> <no value>;<no value> <no value> <no value>;"
    );
    // `index` of a map gives the element's zero value for a missing key.
    assert_eq!(
        ok("[{{index (index (index . 0).Items 0).Labels \"nope\"}}]"),
        "[]"
    );
    assert_eq!(
        ok("{{range (index . 0).Items}}{{if eq .Spec.CIDR \"fd00::/64\"}}{{.Name}}{{end}}{{end}}"),
        "p2"
    );
}

#[test]
fn fields_json_omits_have_go_zero_values() {
    assert_eq!(
        ok(
            "{{range (index . 0).Items}}{{.Spec.NATOutgoing}} {{.Spec.Disabled}} [{{.Spec.VXLANMode}}] {{.Spec.AssignmentMode}} {{.Spec.IPIP}} {{.Annotations}} {{.Finalizers}} {{.Generation}} {{.CreationTimestamp}}\n{{end}}"
        ),
        "false false [] <nil> <nil> map[] [] 0 0001-01-01 00:00:00 +0000 UTC\n\
         false true [] <nil> <nil> map[] [] 0 0001-01-01 00:00:00 +0000 UTC\n"
    );
    // Structs are always true, nil pointers false.
    assert_eq!(
        ok(
            "{{with index (index . 0).Items 0}}{{if .Spec}}s{{end}}{{if .Spec.IPIP}}i{{else}}-{{end}}{{end}}"
        ),
        "s-"
    );
    // A whole struct prints as Go's %v does.
    assert_eq!(ok("{{(index . 0).ListMeta}}"), "{ 99  <nil>}");
    assert_eq!(
        ok(
            "{{printf \"%s/%d %v\" (index (index . 0).Items 0).Spec.CIDR (index (index . 0).Items 0).Spec.BlockSize (index . 0).ListMeta}}"
        ),
        "10.0.0.0/16/26 { 99  <nil>}"
    );
    let node = json!([{"kind": "Node", "apiVersion": "projectcalico.org/v3",
        "metadata": {"name": "n1", "creationTimestamp": "2025-01-02T03:04:05Z"},
        "spec": {"orchRefs": [{"orchestrator": "k8s", "nodeName": "n1"}]}}]);
    assert_eq!(
        render(
            "{{range .}}{{.CreationTimestamp}} {{.Spec.BGP}} {{range .Spec.OrchRefs}}{{.Orchestrator}}:{{.NodeName}}{{end}} {{.Status.PodCIDRs}}{{end}}",
            &node
        )
        .unwrap(),
        "2025-01-02 03:04:05 +0000 UTC <nil> k8s:n1 []"
    );
    assert_eq!(
        render("{{range .}}{{.Spec.BGP.IPv4Address}}{{end}}", &node)
            .unwrap_err()
            .0,
        "template: get:1:13: executing \"get\" at <.Spec.BGP.IPv4Addres...>: nil pointer evaluating *v3.NodeBGPSpec.IPv4Address"
    );
    assert_eq!(
        render("{{range .}}{{.Spec.BGP.Bogus}}{{end}}", &node)
            .unwrap_err()
            .0,
        "template: get:1:13: executing \"get\" at <.Spec.BGP.Bogus>: can't evaluate field Bogus in type *v3.NodeBGPSpec"
    );
}

#[test]
fn missing_map_keys_fail_with_missingkey_error() {
    let t = Template::parse("{{range (index . 0).Items}}{{.Labels.zone}}{{.Labels.nope}}{{end}}")
        .unwrap();
    assert_eq!(t.execute(&data()).unwrap(), "a<no value>a<no value>");
    let t = t.missing_key_error(true);
    assert_eq!(
        t.execute(&data()).unwrap_err().0,
        "template: get:1:45: executing \"get\" at <.Labels.nope>: map has no entry for key \"nope\""
    );
}

#[test]
fn a_field_the_go_struct_lacks_fails_as_go_fails() {
    assert_eq!(
        err("{{range .}}{{.Bogus}}{{end}}"),
        "template: get:1:13: executing \"get\" at <.Bogus>: can't evaluate field Bogus in type runtime.Object"
    );
    assert_eq!(
        err("{{range .}}{{range .Items}}{{.Spec.cidr}}{{end}}{{end}}"),
        "template: get:1:29: executing \"get\" at <.Spec.cidr>: can't evaluate field cidr in type v3.IPPoolSpec"
    );
    assert_eq!(
        err("{{range .}}{{range .Items}}\n  {{.Metadata.Name}}{{end}}{{end}}"),
        "template: get:2:4: executing \"get\" at <.Metadata.Name>: can't evaluate field Metadata in type v3.IPPool"
    );
    assert_eq!(
        err("{{.Bogus}}"),
        "template: get:1:2: executing \"get\" at <.Bogus>: can't evaluate field Bogus in type []runtime.Object"
    );
    assert_eq!(
        err("{{range .}}{{.Items.Name}}{{end}}"),
        "template: get:1:13: executing \"get\" at <.Items.Name>: can't evaluate field Name in type []v3.IPPool"
    );
    assert_eq!(
        err("{{range .}}{{.Kind 1}}{{end}}"),
        "template: get:1:13: executing \"get\" at <.Kind>: Kind has arguments but cannot be invoked as function"
    );
}

#[test]
fn printing_values_like_go() {
    let v = json!({"s": "x", "n": 5, "f": 1.5, "big": 1e6, "b": true, "nil": null,
                   "list": ["a", 1, null], "map": {"b": 2, "a": [1]}});
    let out = render(
        "{{.s}} {{.n}} {{.f}} {{.big}} {{.b}} {{.nil}} {{.list}} {{.map}}",
        &v,
    )
    .unwrap();
    assert_eq!(
        out,
        "x 5 1.5 1e+06 true <no value> [a 1 <nil>] map[a:[1] b:2]"
    );
    assert_eq!(render("{{.}}", &json!(["a", "b"])).unwrap(), "[a b]");
    assert_eq!(
        render(
            "{{3}} {{1.5}} {{'a'}} {{0x10}} {{1e3}} {{\"q\"}} {{`raw`}}",
            &Value::Null
        )
        .unwrap(),
        "3 1.5 97 16 1000 q raw"
    );
}

#[test]
fn trim_markers_and_comments() {
    let v = json!({"a": "A"});
    assert_eq!(render("x  \n {{- .a -}} \n  y", &v).unwrap(), "xAy");
    assert_eq!(render("x {{- /* note */ -}} y", &v).unwrap(), "xy");
    assert_eq!(render("x {{/* note */}} y", &v).unwrap(), "x  y");
    assert_eq!(render("{{-3}}", &v).unwrap(), "-3");
    assert_eq!(render("{{ .a }}\n{{- \"\\n\" -}}\nz", &v).unwrap(), "A\nz");
}

#[test]
fn variables_and_range_forms() {
    assert_eq!(
        ok("{{range $i, $p := (index . 0).Items}}{{$i}}:{{$p.ObjectMeta.Name}} {{end}}"),
        "0:p1 1:p2 "
    );
    assert_eq!(
        ok("{{$l := index . 0}}{{range $l.Items}}{{$l.Kind}}/{{.Name}} {{end}}"),
        "IPPoolList/p1 IPPoolList/p2 "
    );
    assert_eq!(
        ok("{{$x := 1}}{{range (index . 0).Items}}{{$x = 2}}{{end}}{{$x}}"),
        "2"
    );
    assert_eq!(
        ok("{{range $k, $v := (index (index . 0).Items 0).Labels}}{{$k}}={{$v}};{{end}}"),
        "rack=1;zone=a;"
    );
    assert_eq!(
        ok("{{range (index (index . 0).Items 0).Labels.nothing}}x{{else}}empty{{end}}"),
        "empty"
    );
    assert_eq!(ok("{{range 3}}{{.}}{{end}}"), "012");
    assert_eq!(ok("{{range $}}{{len .Items}}{{end}}"), "2");
    assert_eq!(
        err("{{$.}}"),
        "template: get:1: unexpected \".\" in operand"
    );
    assert_eq!(
        ok(
            "{{range (index . 0).Items}}{{if .Spec.Disabled}}{{continue}}{{end}}{{.Name}}{{end}}|{{range (index . 0).Items}}{{.Name}}{{break}}{{end}}"
        ),
        "p1|p1"
    );
}

#[test]
fn conditionals() {
    assert_eq!(
        ok(
            "{{range (index . 0).Items}}{{if .Spec.Disabled}}off{{else if eq .Name \"p1\"}}first{{else}}other{{end}} {{end}}"
        ),
        "first off "
    );
    assert_eq!(
        ok("{{with (index . 0).ListMeta}}{{.ResourceVersion}}{{end}}"),
        "99"
    );
    assert_eq!(
        ok("{{with (index (index . 0).Items 0).Labels.nope}}yes{{else with 5}}{{.}}{{end}}"),
        "5"
    );
    assert_eq!(
        ok("{{if and 1 0 (index . 9)}}y{{else}}n{{end}}{{or 0 \"\" \"z\"}}{{not 0}}"),
        "nztrue"
    );
    assert_eq!(
        ok("{{if .}}nonempty{{end}}{{if (index . 0).Items}}items{{end}}"),
        "nonemptyitems"
    );
}

#[test]
fn builtin_functions() {
    let v = json!({"l": ["a", "b", "c"], "m": {"k": "v"}, "s": "héllo", "n": 26, "u": 18446744073709551615u64});
    let r = |t: &str| render(t, &v).unwrap_or_else(|e| panic!("{t}: {e}"));
    assert_eq!(r("{{len .l}} {{len .m}} {{len .s}}"), "3 1 6");
    assert_eq!(
        r("{{index .l 1}} {{index .m \"k\"}} {{index .m \"x\"}} {{index .s 0}}"),
        "b v <no value> 104"
    );
    assert_eq!(
        r("{{slice .l 1}} {{slice .l 1 2}} {{slice .l 0 1 2}} {{slice .s 0 1}}"),
        "[b c] [b] [a] h"
    );
    assert_eq!(
        render("{{slice .l 2 1}}", &v).unwrap_err().0,
        "template: get:1:2: executing \"get\" at <slice .l 2 1>: error calling slice: invalid slice index: 2 > 1"
    );
    assert_eq!(
        r("{{with $n := .n}}{{$n}}{{end}}{{if $x := .s}}{{$x}}{{end}}"),
        "26héllo"
    );
    assert_eq!(
        r("{{printf \"%s-%03d %v %q\" .s .n .l .m.k}}"),
        "héllo-026 [a b c] \"v\""
    );
    assert_eq!(
        r("{{.n | printf \"%d%%\"}} {{print 1 2 \"a\" 3}} {{println \"x\" 1}}"),
        "26% 1 2a3 x 1\n"
    );
    assert_eq!(
        r(
            "{{eq .n 26}} {{eq .s \"a\" \"héllo\"}} {{ne .n 3}} {{lt .n 30}} {{le .n 26}} {{gt .s \"a\"}} {{ge .n 27}}"
        ),
        "true true true true true true false"
    );
    assert_eq!(
        r("{{eq .u .n}} {{lt .n .u}} {{gt .u .n}}"),
        "false true true"
    );
    assert_eq!(
        r("{{eq .missing 1}} {{eq .missing .missing}}"),
        "false true"
    );
    assert_eq!(
        r("{{html \"<a href='x'>&\"}} {{urlquery \"a b&c\"}} {{js \"it's <b>\"}}"),
        "&lt;a href=&#39;x&#39;&gt;&amp; a+b%26c it\\'s \\u003Cb\\u003E"
    );
}

#[test]
fn calicoctl_join_functions() {
    let v = json!({
        "cidrs": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        "labels": {"z": 1, "a": "b"},
        "one": "x",
        "long": (0..10).map(|i| format!("10.{i}.0.0/16")).collect::<Vec<_>>(),
    });
    let r = |t: &str| render(t, &v).unwrap_or_else(|e| panic!("{t}: {e}"));
    assert_eq!(
        r("{{join .cidrs \",\"}}"),
        "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
    );
    assert_eq!(
        r("{{join .labels \",\"}}|{{join .one \",\"}}|{{join .missing \",\"}}"),
        "a=b,z=1|x|"
    );
    let joined = (0..10)
        .map(|i| format!("10.{i}.0.0/16"))
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(joined.len(), 119);
    assert_eq!(
        r("{{joinAndTruncate .long \",\" 80}}"),
        format!("{}...", &joined[..77])
    );
    assert_eq!(
        r("{{joinAndTruncate .cidrs \",\" 80}}"),
        "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
    );
    assert_eq!(
        r("{{joinAndTruncate .cidrs \",\" 0}}"),
        "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
    );
}

#[test]
fn config_function() {
    let t = Template::parse("ASN {{config \"asnumber\"}}").unwrap();
    let lookup = |name: &str| -> Result<String, String> {
        assert_eq!(name, "asnumber");
        Ok("64512".to_string())
    };
    assert_eq!(
        t.execute_with_config(&Value::Null, Some(&lookup)).unwrap(),
        "ASN 64512"
    );
    assert_eq!(
        render("{{config \"other\"}}", &Value::Null).unwrap_err().0,
        "template: get:1:2: executing \"get\" at <config \"other\">: error calling config: unhandled config type"
    );
}

#[test]
fn parse_errors_have_positions() {
    assert_eq!(
        err("a\n{{foo .}}"),
        "template: get:2: function \"foo\" not defined"
    );
    assert_eq!(err("{{.Name"), "template: get:1: unclosed action");
    assert_eq!(err("{{if .}}x"), "template: get:1: unexpected EOF");
    assert_eq!(err("{{end}}"), "template: get:1: unexpected {{end}}");
    assert_eq!(err("{{$x}}"), "template: get:1: undefined variable \"$x\"");
    assert_eq!(
        err("{{if}}{{end}}"),
        "template: get:1: missing value for if"
    );
    assert_eq!(
        err("{{break}}"),
        "template: get:1: {{break}} outside {{range}}"
    );
    assert_eq!(
        err("{{.A | 3}}"),
        "template: get:1: non executable command in pipeline stage 2"
    );
    assert_eq!(
        err("{{template \"x\"}}"),
        "template: get:1: {{template}} is not supported"
    );
    assert_eq!(err("{{/* open"), "template: get:1: unclosed comment");
    assert_eq!(
        err("{{\"abc}}"),
        "template: get:1: unterminated quoted string"
    );
    assert_eq!(err("{{3x}}"), "template: get:1: bad number syntax: \"3x\"");
    assert_eq!(err("{{(.A}}"), "template: get:1: unclosed left paren");
    assert_eq!(err("{{.A)}}"), "template: get:1: unexpected right paren");
    assert_eq!(
        err("{{.A.}}"),
        "template: get:1: unexpected \".\" in operand"
    );
    assert_eq!(
        err("{{\"a\".B}}"),
        "template: get:1: unexpected . after term \"\\\"a\\\"\""
    );
}

#[test]
fn execution_errors() {
    assert_eq!(
        err("{{printf \"%s\" (index . 0).Kind.Length}}"),
        "template: get:1:25: executing \"get\" at <(index . 0).Kind.Len...>: can't evaluate field Length in type string"
    );
    assert_eq!(
        err("{{len 3}}"),
        "template: get:1:2: executing \"get\" at <len 3>: error calling len: len of type int"
    );
    assert_eq!(
        err("{{index (index . 0).Items 5}}"),
        "template: get:1:2: executing \"get\" at <index (index . 0).It...>: error calling index: index out of range: 5"
    );
    assert_eq!(
        err("{{printf 3}}"),
        "template: get:1:9: executing \"get\" at <3>: wrong type for value; expected string; got int"
    );
    assert_eq!(
        err("{{join . 1}}"),
        "template: get:1:9: executing \"get\" at <1>: wrong type for value; expected string; got int"
    );
    assert_eq!(
        err("{{if 1}}\n{{len (len 1)}}{{end}}"),
        "template: get:2:7: executing \"get\" at <len 1>: error calling len: len of type int"
    );
    assert_eq!(
        err("{{eq 1 \"a\"}}"),
        "template: get:1:2: executing \"get\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison"
    );
    assert_eq!(
        err("{{lt true false}}"),
        "template: get:1:2: executing \"get\" at <lt true false>: error calling lt: invalid type for comparison"
    );
    assert_eq!(
        err("{{len}}"),
        "template: get:1:2: executing \"get\" at <len>: wrong number of args for len: want 1 got 0"
    );
    assert_eq!(
        err("{{. 1}}"),
        "template: get:1:2: executing \"get\" at <.>: can't give argument to non-function ."
    );
    assert_eq!(
        err("{{range \"s\"}}{{end}}"),
        "template: get:1:8: executing \"get\" at <\"s\">: range can't iterate over s"
    );
    assert_eq!(
        err("{{18446744073709551615}}"),
        "template: get:1:2: executing \"get\" at <18446744073709551615>: 18446744073709551615 overflows int"
    );
    assert_eq!(
        render("{{99999999999999999999}}", &Value::Null).unwrap(),
        "<no value>"
    );
}
