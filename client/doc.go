// Package client is a Go client for Hookline's REST API (/api/v1).
//
// Create a Client with the server's base URL and an API key, then call one
// method per API route. Methods take a context and, where a route accepts
// several inputs, a parameter struct, so new options never break callers:
//
//	c := client.New("http://127.0.0.1:8080", os.Getenv("HOOKLINE_API_KEY"))
//	wh, err := c.WebhookCreate(ctx, client.WebhookCreateParams{
//		Name:   "billing",
//		URL:    "https://example.com/hooks",
//		Events: []string{"payment_received"},
//	})
//
// Method names put the noun first (WebhookList, WebhookCreate, EventPublish,
// DeliveryRetry) so that the methods of one resource sort together.
//
// # Errors
//
// Every error the server reports is an *Error carrying its RFC 9457 problem
// document (status, detail, the offending field and, in Errors, every bad
// field of the request at once, the request id). Use
// errors.As to read it, or the helpers IsNotFound, IsUnauthorized,
// IsForbidden, IsConflict, IsInvalid and IsRateLimited. Transport failures
// (connection refused, timeouts, a cancelled context) are returned as they
// come from net/http.
//
// # Paging
//
// List methods return one Page; its NextCursor, passed back as the Cursor
// parameter, fetches the next one. The ...All methods (WebhookListAll,
// EventListAll, DeliveryListAll, AuditListAll) follow the cursors for you
// and yield every item as an iter.Seq2:
//
//	for wh, err := range c.WebhookListAll(ctx, client.WebhookListParams{}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(wh.ID, wh.URL)
//	}
//
// The package depends on the standard library only and does not import any
// of Hookline's internal packages: its types mirror the API's JSON as
// documented in the OpenAPI document served at /api/openapi.json.
package client
