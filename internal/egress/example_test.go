package egress_test

import (
	"fmt"
	"net/netip"

	"github.com/hookline/hookline/internal/egress"
)

func ExampleCheckURL() {
	for _, raw := range []string{
		"https://example.com/hooks",
		"http://0x7f.1/",
		"http://user:secret@example.com/",
	} {
		fmt.Println(egress.CheckURL(raw))
	}
	// Output:
	// <nil>
	// invalid: url: host looks like a numeric IP address but is not a dotted-quad IPv4 address such as 192.0.2.1
	// invalid: url: must not include a username or password
}

func ExampleGuard_CheckURL() {
	dev := egress.NewGuard([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	fmt.Println(dev.CheckURL("http://127.0.0.1:8080/hooks"))
	fmt.Println(dev.CheckURL("http://169.254.169.254/latest/meta-data/"))
	// Output:
	// <nil>
	// unprocessable: url: points to a private or reserved address, which Hookline does not send to
}
